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
