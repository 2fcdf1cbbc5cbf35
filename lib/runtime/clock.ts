/**
 * Time as a dependency, for the whole code base: every wait, deadline, period and timeout
 * goes through a {@linkcode Clock} (the queue, backoff, retries, watcher, leader election,
 * the agent's heartbeats, the pivot's deadlines), so tests drive time by hand instead of
 * sleeping and there is one place where timers are created. Backoff and retry live next
 * door in backoff.ts. See docs/adr/failure-model.md.
 */

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds on a monotonic-enough scale. */
  now(): number;
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(handle: number): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  // Deno timers are numbers; the cast only quiets @types/node pulled in by client-node.
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (handle) => clearTimeout(handle),
};

/** Resolves after `ms` on `clock`, or rejects with the signal's reason when aborted. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves after `ms`, or early and without error when `signal` aborts (shutdown waits). */
export function pause(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(clock, ms, signal).catch(() => {});
}

/**
 * Calls `fn` every `ms` until the returned stop function runs or `signal` aborts. A period
 * is timed from the end of the previous call, so a slow `fn` never overlaps itself.
 */
export function every(
  clock: Clock,
  ms: number,
  fn: () => void,
  signal?: AbortSignal,
): () => void {
  let handle: number | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    if (handle !== undefined) clock.clearTimeout(handle);
    signal?.removeEventListener("abort", stop);
  };
  const arm = () => {
    if (stopped) return;
    handle = clock.setTimeout(() => {
      if (stopped) return;
      fn();
      arm();
    }, ms);
  };
  if (signal?.aborted) return stop;
  signal?.addEventListener("abort", stop, { once: true });
  arm();
  return stop;
}

/** A deadline passed before the awaited work settled. */
export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`Cannot ${what}: no answer within ${Math.max(0, Math.round(ms))} ms`);
    this.name = "DeadlineExceeded";
  }
}

/**
 * Resolves like `promise` unless `ms` passes first on `clock`, then rejects with
 * {@linkcode DeadlineExceeded} (or with the signal's reason when `signal` aborts first).
 * The promise itself keeps running (a late answer is ignored); the timer is always cleared.
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  options: { clock?: Clock; signal?: AbortSignal } = {},
): Promise<T> {
  promise.catch(() => {});
  if (ms <= 0) return Promise.reject(new DeadlineExceeded(what, ms));
  const clock = options.clock ?? systemClock;
  const signal = options.signal;
  let handle: number | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    handle = clock.setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
    if (!signal) return;
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, expired]).finally(() => {
    if (handle !== undefined) clock.clearTimeout(handle);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  });
}

/** `promise`'s value, or `fallback` when it fails or takes longer than `ms`. */
export function valueWithin<T>(
  promise: Promise<T> | T,
  ms: number,
  fallback: T,
  clock: Clock = systemClock,
): Promise<T> {
  return withDeadline(Promise.resolve(promise), ms, "answer", { clock }).catch(() => fallback);
}

/**
 * A signal that aborts after `ms` on `clock`, or when `parent` aborts. Call `cancel` when
 * the work is done so the timer does not outlive it.
 */
export function deadlineSignal(
  ms: number,
  reason: string,
  options: { clock?: Clock; parent?: AbortSignal } = {},
): { signal: AbortSignal; cancel: () => void } {
  const clock = options.clock ?? systemClock;
  const controller = new AbortController();
  const handle = clock.setTimeout(() => controller.abort(new DeadlineExceeded(reason, ms)), ms);
  const parent = options.parent;
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    cancel: () => {
      clock.clearTimeout(handle);
      parent?.removeEventListener("abort", onAbort);
    },
  };
}

interface Timer {
  at: number;
  fn: () => void;
}

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  #now: number;
  #next = 1;
  #timers = new Map<number, Timer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: number): void {
    this.#timers.delete(handle);
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const target = this.#now + ms;
    while (true) {
      let due: [number, Timer] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = target;
  }
}
