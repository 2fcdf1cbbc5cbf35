/**
 * The agent's reconnect delays and waits: the runtime's one timing module (see
 * lib/runtime/backoff.ts and clock.ts), re-exported under the agent's names.
 */
import { type Clock, pause, systemClock } from "../runtime/clock.ts";

import type { BackoffDelayOptions } from "../runtime/backoff.ts";
export { backoffDelay } from "../runtime/backoff.ts";

/** Options of the agent's reconnect delays. */
export interface BackoffOptions extends BackoffDelayOptions {
  /**
   * The first retry after an established stream was lost waits a uniformly random time in
   * [0, spreadMs): a fleet loses its streams together only when its cell goes away, and
   * must not come back in the same instant. Default 10 × `initialMs` (10 s).
   */
  spreadMs?: number;
}

/** The delay before reconnecting after an established stream was lost (full jitter). */
export function reconnectDelay(options: BackoffOptions = {}): number {
  const spread = options.spreadMs ?? 10 * (options.initialMs ?? 1_000);
  return Math.round((options.random ?? Math.random)() * spread);
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return pause(clock, ms, signal);
}
