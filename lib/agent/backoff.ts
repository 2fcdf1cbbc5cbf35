/**
 * The agent's reconnect delays and waits: the runtime's one timing module (see
 * lib/runtime/backoff.ts and clock.ts), re-exported under the agent's names.
 */
import { type Clock, pause, systemClock } from "../runtime/clock.ts";

export { backoffDelay, type BackoffDelayOptions as BackoffOptions } from "../runtime/backoff.ts";

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return pause(clock, ms, signal);
}
