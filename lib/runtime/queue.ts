/**
 * A work queue with client-go's semantics: a key is queued at most once (dirty set), never
 * handed to two workers at once (processing set), and a key added while being processed is
 * queued again when its worker calls `done`. Delays and per-key exponential backoff run on
 * an injected clock.
 */
import { type Clock, systemClock } from "./clock.ts";
import type { RuntimeMetrics } from "./runtime_metrics.ts";

/** Per-key exponential backoff: base·2^failures, capped. */
export interface RateLimiterOptions {
  /** First delay; default 5 ms. */
  baseDelayMs?: number;
  /** Cap; default 5 min. */
  maxDelayMs?: number;
}

/** Options for {@linkcode WorkQueue}. */
export interface WorkQueueOptions extends RateLimiterOptions {
  /** Name for metrics. */
  name?: string;
  clock?: Clock;
  metrics?: RuntimeMetrics;
}

/** A deduplicating, rate-limited work queue of string keys. */
export class WorkQueue {
  #clock: Clock;
  #name: string;
  #metrics?: RuntimeMetrics;
  #base: number;
  #max: number;
  #queue: string[] = [];
  #head = 0;
  #dirty = new Set<string>();
  #processing = new Set<string>();
  #addedAt = new Map<string, number>();
  #startedAt = new Map<string, number>();
  #failures = new Map<string, number>();
  #waiting = new Map<string, number>();
  #timer?: number;
  #timerAt = Infinity;
  #getters: ((key: string | undefined) => void)[] = [];
  #idle: (() => void)[] = [];
  #shuttingDown = false;

  /** workqueue_* labels: controller-runtime sets name and controller to the same value. */
  get #labels() {
    return { name: this.#name, controller: this.#name };
  }

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#name = options.name ?? "queue";
    this.#metrics = options.metrics;
    this.#metrics?.initQueue(this.#name);
    this.#base = options.baseDelayMs ?? 5;
    this.#max = options.maxDelayMs ?? 300_000;
  }

  /** Keys waiting for a worker (not counting delayed or in-process keys). */
  get length(): number {
    return this.#queue.length - this.#head;
  }

  /** Keys held by workers right now. */
  get processing(): number {
    return this.#processing.size;
  }

  /** True once `shutDown` was called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Queues `key` unless it is already queued; a key being processed is re-run after. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#metrics?.queueAdds.inc(this.#labels);
    this.#addedAt.set(key, this.#clock.now());
    if (this.#processing.has(key)) return;
    const getter = this.#getters.shift();
    if (getter) return this.#handOut(key, getter);
    this.#queue.push(key);
    this.#depthChanged();
  }

  /** Queues `key` after `ms`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#clock.now() + ms;
    const current = this.#waiting.get(key);
    if (current !== undefined && current <= at) return;
    this.#waiting.set(key, at);
    this.#schedule();
  }

  /** Queues `key` after its backoff delay, and counts a failure for it. */
  addRateLimited(key: string): void {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    this.#metrics?.queueRetries.inc(this.#labels);
    this.addAfter(key, this.backoffFor(failures));
  }

  /** The backoff delay after `failures` earlier failures. */
  backoffFor(failures: number): number {
    return Math.min(this.#max, this.#base * 2 ** Math.min(failures, 52));
  }

  /** Failures counted for `key` since its last `forget`. */
  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Clears `key`'s failure count (call on success). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** The next key to process; `undefined` once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    if (this.length > 0) {
      const key = this.#queue[this.#head++];
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#depthChanged();
      return Promise.resolve(this.#take(key));
    }
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Marks `key` processed; re-queues it when it was added meanwhile. */
  done(key: string): void {
    if (!this.#processing.delete(key)) return;
    const started = this.#startedAt.get(key);
    this.#startedAt.delete(key);
    if (started !== undefined) {
      this.#metrics?.queueWork.observe(this.#labels, (this.#clock.now() - started) / 1000);
    }
    if (this.#dirty.has(key) && !this.#shuttingDown) {
      const getter = this.#getters.shift();
      if (getter) this.#handOut(key, getter);
      else {
        this.#queue.push(key);
        this.#depthChanged();
      }
    }
    if (this.#processing.size === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
  }

  /** Stops handing out keys: waiting and future `get` calls resolve `undefined`. */
  shutDown(): void {
    this.#shuttingDown = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiting.clear();
    for (const resolve of this.#getters.splice(0)) resolve(undefined);
  }

  /** Shuts down, then resolves when every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #take(key: string): string {
    this.#processing.add(key);
    this.#dirty.delete(key);
    const now = this.#clock.now();
    const added = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    if (added !== undefined) {
      this.#metrics?.queueLatency.observe(this.#labels, (now - added) / 1000);
    }
    this.#startedAt.set(key, now);
    return key;
  }

  #handOut(key: string, getter: (key: string | undefined) => void) {
    getter(this.#take(key));
  }

  #depthChanged() {
    this.#metrics?.queueDepth.set(this.#labels, this.length);
  }

  // One timer, armed for the earliest delayed key; it re-arms itself after firing.
  #schedule() {
    let earliest = Infinity;
    for (const at of this.#waiting.values()) earliest = Math.min(earliest, at);
    if (earliest === this.#timerAt) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = earliest;
    if (earliest === Infinity) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      const now = this.#clock.now();
      for (const [key, at] of this.#waiting) {
        if (at <= now) {
          this.#waiting.delete(key);
          this.add(key);
        }
      }
      this.#schedule();
    }, Math.max(0, earliest - this.#clock.now()));
  }
}
