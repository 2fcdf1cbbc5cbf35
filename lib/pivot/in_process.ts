/**
 * A transport that calls a {@linkcode PivotTarget} in the same process, through a JSON
 * round trip like the wire's, with failure injection for tests and byte counts for benches.
 */
import type { PivotTarget } from "./target.ts";
import type {
  PivotAbortRequest,
  PivotAbortResult,
  PivotAck,
  PivotBatch,
  PivotCompleteRequest,
  PivotCompleteResult,
  PivotTransport,
} from "./types.ts";

/**
 * Decides whether to fail at a point: `batch:<i>:before` (the agent never got it),
 * `batch:<i>:after` (applied, but the ack is lost), `complete:before`, `complete:after`,
 * `abort:before`, `abort:after`.
 */
export type FaultInjector = (point: string) => boolean;

/** Options for {@linkcode InProcessTransport}. */
export interface InProcessTransportOptions {
  fault?: FaultInjector;
}

const encoder = new TextEncoder();

/** Serializes like the wire (JSON), so the target never shares objects with the source. */
function roundTrip<T>(value: T): { value: T; bytes: number } {
  const text = JSON.stringify(value);
  return { value: JSON.parse(text) as T, bytes: encoder.encode(text).length };
}

/** The in-process transport. `target` may be swapped to simulate an agent restart. */
export class InProcessTransport implements PivotTransport {
  /** The agent side; replace it to simulate a restarted agent (empty caches). */
  target: PivotTarget;
  /** Encoded size of every delivered batch, in order. */
  readonly batchBytes: number[] = [];
  /** Objects of every delivered batch, in order. */
  readonly batchObjects: number[] = [];
  #fault: FaultInjector;

  constructor(target: PivotTarget, options: InProcessTransportOptions = {}) {
    this.target = target;
    this.#fault = options.fault ?? (() => false);
  }

  #check(point: string): void {
    if (this.#fault(point)) throw new Error(`Cannot reach the agent: injected fault at ${point}`);
  }

  /** Delivers one batch to the target. */
  async sendBatch(batch: PivotBatch): Promise<PivotAck> {
    this.#check(`batch:${batch.index}:before`);
    const { value, bytes } = roundTrip(batch);
    const ack = await this.target.applyBatch(value);
    this.batchBytes.push(bytes);
    this.batchObjects.push(batch.entries.length);
    this.#check(`batch:${batch.index}:after`);
    return roundTrip(ack).value;
  }

  /** Tells the target to unpause. */
  async complete(request: PivotCompleteRequest): Promise<PivotCompleteResult> {
    this.#check("complete:before");
    const result = await this.target.complete(roundTrip(request).value);
    this.#check("complete:after");
    return result;
  }

  /** Tells the target to delete an aborted pivot's copies. */
  async abort(request: PivotAbortRequest): Promise<PivotAbortResult> {
    this.#check("abort:before");
    const result = await this.target.abort(roundTrip(request).value);
    this.#check("abort:after");
    return result;
  }
}
