/**
 * The agent's side of the fleet view: sends the cluster's subtree (its FleetState) to the
 * parent cell — a full snapshot whenever a stream is established or the cell asks, then a
 * delta of what changed, at most every `flushDelayMs` so a burst of changes (a child's
 * snapshot, a heartbeat wave) becomes one message up the hierarchy.
 */
import { systemClock } from "../runtime/clock.ts";
import type { AgentPayload } from "../agent/handlers.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { FleetSubtreeUpdate } from "../proto/lattice/agent/v1/agent.ts";
import { SubtreeEncoder } from "./delta.ts";
import type { FleetState } from "./state.ts";

/** Options for {@linkcode FleetReporter}. */
export interface FleetReporterOptions {
  /** Least time between two deltas; default 200 ms. */
  flushDelayMs?: number;
  logger?: Logger;
}

/** See the module doc. */
export class FleetReporter {
  readonly #state: FleetState;
  readonly #encoder: SubtreeEncoder;
  readonly #delay: number;
  readonly #log: Logger;
  readonly #dirty = new Set<string>();
  readonly #unsubscribe: () => void;
  #send?: (payload: AgentPayload) => boolean;
  #timer?: number;
  /** Messages sent, for metrics and tests. */
  sent = 0;

  constructor(state: FleetState, options: FleetReporterOptions = {}) {
    this.#state = state;
    this.#encoder = new SubtreeEncoder({ maxChunkEntries: state.limits.maxChunkEntries });
    this.#delay = options.flushDelayMs ?? 200;
    this.#log = options.logger ?? silentLogger;
    this.#unsubscribe = state.subscribe((names) => {
      // Disconnected, nothing is tracked: the next stream starts with a snapshot.
      if (!this.#send) return;
      for (const n of names) this.#dirty.add(n);
      this.#schedule();
    });
  }

  /** A stream was established: send everything on it from now on. */
  connected(send: (payload: AgentPayload) => boolean): void {
    this.#send = send;
    this.#snapshot();
  }

  /** The stream is gone: keep collecting, the next connect sends a snapshot. */
  disconnected(): void {
    this.#send = undefined;
    if (this.#timer !== undefined) systemClock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The cell asked for a full snapshot. */
  resync(reason: string): void {
    this.#log.info("Fleet resync asked by the cell", { reason });
    this.#snapshot();
  }

  /** Stops listening to the state. */
  stop(): void {
    this.disconnected();
    this.#unsubscribe();
  }

  #snapshot(): void {
    this.#dirty.clear();
    if (this.#timer !== undefined) systemClock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#write(this.#encoder.snapshot(this.#state));
  }

  #schedule(): void {
    if (this.#timer !== undefined || !this.#send) return;
    this.#timer = systemClock.setTimeout(() => {
      this.#timer = undefined;
      const names = [...this.#dirty];
      this.#dirty.clear();
      this.#write(this.#encoder.delta(this.#state, names));
    }, this.#delay);
  }

  #write(updates: FleetSubtreeUpdate[]): void {
    for (const value of updates) {
      if (!this.#send?.({ $case: "fleetSubtree", value })) {
        // Lost mid-way: the next stream starts with a snapshot anyway.
        this.#send = undefined;
        return;
      }
      this.sent++;
    }
  }
}
