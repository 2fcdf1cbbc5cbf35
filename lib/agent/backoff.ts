/**
 * Reconnect delays: exponential growth with "equal jitter" (half fixed, half random), so a
 * cell restart does not bring every child back in the same instant while each child still
 * waits at least half the nominal delay.
 */

/** Options for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /** Delay after the first failure; default 1 s. */
  initialMs?: number;
  /** Upper bound of the delay; default 2 min. */
  maxMs?: number;
  /** Growth per failure; default 2. */
  factor?: number;
  /**
   * The first retry after an established stream was lost waits a uniformly random time in
   * [0, spreadMs): a fleet loses its streams together only when its cell goes away, and
   * must not come back in the same instant. Default 10 × `initialMs` (10 s).
   */
  spreadMs?: number;
  /** Random source in [0, 1), for tests. */
  random?: () => number;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1_000;
  const max = options.maxMs ?? 120_000;
  const factor = options.factor ?? 2;
  const random = options.random ?? Math.random;
  // Cap the exponent so a child retrying for weeks cannot overflow to Infinity.
  const nominal = Math.min(max, initial * factor ** Math.min(attempt, 64));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** The delay before reconnecting after an established stream was lost (full jitter). */
export function reconnectDelay(options: BackoffOptions = {}): number {
  const spread = options.spreadMs ?? 10 * (options.initialMs ?? 1_000);
  return Math.round((options.random ?? Math.random)() * spread);
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
