/**
 * Bounded retries with exponential backoff and full jitter for the join's transient
 * failures (the cell or the local apiserver still starting, throttling).
 */

/** Options for {@linkcode retry}. */
export interface RetryOptions {
  /** Attempts in total; default 6. */
  attempts?: number;
  /** First delay; default 1 s. */
  baseDelayMs?: number;
  /** Largest delay; default 30 s. */
  maxDelayMs?: number;
  /** Waits `ms`; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Random in [0, 1); injectable for tests. */
  random?: () => number;
  /** Called before each wait (for a log line). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** An error that says whether trying again may help, and how long to wait at least. */
export interface RetryHint {
  transient: boolean;
  retryAfterMs?: number;
}

/**
 * Runs `fn` until it succeeds, `classify` calls an error permanent, or the attempts are
 * used up; the last error is thrown.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryHint,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const base = options.baseDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const hint = classify(error);
      if (!hint.transient || attempt >= attempts) throw error;
      const backoff = Math.min(max, base * 2 ** (attempt - 1));
      const delay = Math.max(hint.retryAfterMs ?? 0, Math.round(backoff * (0.5 + random() / 2)));
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}
