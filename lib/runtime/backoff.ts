/**
 * Reconnect backoff for watchers: exponential with jitter, capped, reset after a quiet
 * period. It never gives up — a controller whose watch stops is a controller that lies.
 */
import { type Clock, sleep, systemClock } from "./clock.ts";

/** Options for {@linkcode Backoff}. */
export interface BackoffOptions {
  /** First delay; default 800 ms. */
  initialMs?: number;
  /** Cap; default 30 s. */
  maxMs?: number;
  /** Growth per failure; default 2. */
  factor?: number;
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter]; default 0.2. */
  jitter?: number;
  /** A run this long without failure resets the delay; default 120 s. */
  resetAfterMs?: number;
  clock?: Clock;
  /** Random source in [0, 1), for tests. */
  random?: () => number;
}

/** Stateful backoff: call `wait` after each failure. */
export class Backoff {
  #opts: Required<Omit<BackoffOptions, "clock" | "random">>;
  #clock: Clock;
  #random: () => number;
  #failures = 0;
  #lastFailure = -Infinity;

  constructor(options: BackoffOptions = {}) {
    this.#opts = {
      initialMs: options.initialMs ?? 800,
      maxMs: options.maxMs ?? 30_000,
      factor: options.factor ?? 2,
      jitter: options.jitter ?? 0.2,
      resetAfterMs: options.resetAfterMs ?? 120_000,
    };
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  /** The delay the next failure waits, and counts that failure. */
  next(): number {
    const now = this.#clock.now();
    if (now - this.#lastFailure >= this.#opts.resetAfterMs) this.#failures = 0;
    this.#lastFailure = now;
    const { initialMs, maxMs, factor, jitter } = this.#opts;
    const raw = Math.min(maxMs, initialMs * factor ** Math.min(this.#failures++, 64));
    return Math.max(0, raw * (1 + jitter * (2 * this.#random() - 1)));
  }

  /** Forgets past failures. */
  reset(): void {
    this.#failures = 0;
  }

  /** Waits the next delay; rejects when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    return sleep(this.#clock, this.next(), signal);
  }
}

/** Options for {@linkcode backoffDelay}. */
export interface BackoffDelayOptions {
  /** Delay after the first failure; default 1 s. */
  initialMs?: number;
  /** Upper bound of the delay; default 2 min. */
  maxMs?: number;
  /** Growth per failure; default 2. */
  factor?: number;
  /** Random source in [0, 1), for tests. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): exponential growth with
 * "equal jitter" (half fixed, half random), so a cell restart does not bring every child
 * back in the same instant while each still waits at least half the nominal delay.
 */
export function backoffDelay(attempt: number, options: BackoffDelayOptions = {}): number {
  const initial = options.initialMs ?? 1_000;
  const max = options.maxMs ?? 120_000;
  const factor = options.factor ?? 2;
  const random = options.random ?? Math.random;
  // Cap the exponent so a child retrying for weeks cannot overflow to Infinity.
  const nominal = Math.min(max, initial * factor ** Math.min(attempt, 64));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** Options for {@linkcode retry}. */
export interface RetryOptions {
  /** Attempts in total; default 6. */
  attempts?: number;
  /** First delay; default 1 s. */
  baseDelayMs?: number;
  /** Largest delay; default 30 s. */
  maxDelayMs?: number;
  /** Clock the waits run on; default the system clock. */
  clock?: Clock;
  /** Waits `ms`; overrides `clock` (a recorder in tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Random in [0, 1); injectable for tests. */
  random?: () => number;
  /** Aborts the waits and stops retrying. */
  signal?: AbortSignal;
  /** Called before each wait (for a log line). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** An error that says whether trying again may help, and how long to wait at least. */
export interface RetryHint {
  transient: boolean;
  retryAfterMs?: number;
}

/**
 * Runs `fn` until it succeeds, `classify` calls an error permanent, the attempts are used
 * up or `signal` aborts; the last error is thrown. Waits grow exponentially from
 * `baseDelayMs` with equal jitter, and are never shorter than a Retry-After hint.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryHint,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const clock = options.clock ?? systemClock;
  const wait = options.sleep ?? ((ms: number) => sleep(clock, ms, options.signal));
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const hint = classify(error);
      if (!hint.transient || attempt >= attempts || options.signal?.aborted) throw error;
      const backoff = backoffDelay(attempt - 1, {
        initialMs: options.baseDelayMs ?? 1000,
        maxMs: options.maxDelayMs ?? 30_000,
        random: options.random,
      });
      const delay = Math.max(hint.retryAfterMs ?? 0, backoff);
      options.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
}
