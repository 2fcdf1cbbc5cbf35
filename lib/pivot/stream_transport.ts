/**
 * The cell side of the pivot over the agent stream: each {@linkcode PivotTransport} call
 * becomes a CellCommand sent through the {@linkcode AgentRegistry} and resolves with its
 * CommandAck. A call that got no answer (timeout, agent not connected) is retried by
 * runPivot under the SAME command id, so an agent that applied it but whose ack was lost
 * answers from its memory instead of applying it again; an explicit failure gets a fresh id
 * next time, because the agent remembers failures too.
 */
import { Buffer } from "node:buffer";
import { type AgentRegistry, CommandFailedError, type CommandPayload } from "../cell/registry.ts";
import type { CommandAck, PivotBatchAck } from "../proto/lattice/agent/v1/agent.ts";
import type {
  PivotAbortRequest,
  PivotAbortResult,
  PivotAck,
  PivotBatch,
  PivotCompleteRequest,
  PivotCompleteResult,
  PivotTransport,
} from "./types.ts";
import { toWireBatch } from "./wire.ts";

/** The part of {@linkcode AgentRegistry} the transport uses (a registry satisfies it). */
export type PivotCommandSender = Pick<AgentRegistry, "sendCommand">;

/** Options for {@linkcode StreamTransport}. */
export interface StreamTransportOptions {
  /**
   * Wait this long for each acknowledgement (a batch is up to 250 creates on the child);
   * default 60 s. A stream that drops meanwhile is re-sent on reconnect within it.
   */
  timeoutMs?: number;
  /** Command id generator; default random UUIDs. */
  newCommandId?: () => string;
}

/** A {@linkcode PivotTransport} over one child's agent stream. */
export class StreamTransport implements PivotTransport {
  readonly #registry: PivotCommandSender;
  readonly #clusterName: string;
  readonly #timeoutMs: number;
  readonly #newId: () => string;
  /** Command ids of calls that got no answer yet, by call key: reused by the retry. */
  readonly #ids = new Map<string, string>();
  /** Calls in flight by key: a repeat joins them instead of racing on the same id. */
  readonly #inflight = new Map<string, Promise<CommandAck>>();

  /** `clusterName` is the child's name: the identity its agent connects with. */
  constructor(
    registry: PivotCommandSender,
    clusterName: string,
    options: StreamTransportOptions = {},
  ) {
    this.#registry = registry;
    this.#clusterName = clusterName;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#newId = options.newCommandId ?? (() => crypto.randomUUID());
  }

  /** Sends PivotBatch; resolves once the agent acknowledged every object of it. */
  async sendBatch(batch: PivotBatch): Promise<PivotAck> {
    const ack = await this.#send(`batch/${batch.pivotId}/${batch.index}`, {
      $case: "pivotBatch",
      value: toWireBatch(batch),
    }, `send pivot batch ${batch.index}`);
    const progress = expectProgress(ack, `send pivot batch ${batch.index}`);
    return {
      pivotId: progress.pivotId,
      index: progress.batchIndex ?? -1,
      // The wire acknowledges the whole batch without splitting new from already there.
      created: batch.entries.length,
      existing: 0,
    };
  }

  /** Sends PivotCommand (so the agent knows the cluster), then PivotUnpause. */
  async complete(request: PivotCompleteRequest): Promise<PivotCompleteResult> {
    await this.#introduce(request);
    const ack = await this.#send(`unpause/${request.pivotId}`, {
      $case: "pivotUnpause",
      value: { pivotId: request.pivotId },
    }, "unpause the pivoted objects");
    expectProgress(ack, "unpause the pivoted objects");
    // The wire does not carry how many objects this call unpaused.
    return { pivotId: request.pivotId, unpaused: 0 };
  }

  /** Sends PivotCommand (so the agent knows the cluster), then PivotAbort. */
  async abort(request: PivotAbortRequest): Promise<PivotAbortResult> {
    await this.#introduce(request);
    const ack = await this.#send(`abort/${request.pivotId}`, {
      $case: "pivotAbort",
      value: { pivotId: request.pivotId, reason: request.reason },
    }, "abort the pivot");
    expectProgress(ack, "abort the pivot");
    // The wire does not carry how many copies this call deleted.
    return { pivotId: request.pivotId, deleted: 0 };
  }

  /**
   * PivotUnpause and PivotAbort carry only the pivot id, and an agent restarted since the
   * batches knows nothing else: PivotCommand (with no inline objects) names the cluster and
   * its namespace first.
   */
  async #introduce(request: PivotCompleteRequest): Promise<void> {
    await this.#send(`pivot/${request.pivotId}`, {
      $case: "pivot",
      value: {
        clusterName: request.clusterName,
        capiNamespace: request.namespace,
        capiResources: Buffer.alloc(0),
        pivotId: request.pivotId,
        totalBatches: 0,
        totalObjects: 0,
      },
    }, "introduce the pivot");
  }

  #send(key: string, command: CommandPayload, what: string): Promise<CommandAck> {
    const running = this.#inflight.get(key);
    if (running) return running;
    let commandId = this.#ids.get(key);
    if (!commandId) {
      commandId = this.#newId();
      this.#ids.set(key, commandId);
    }
    const call = this.#registry.sendCommand(this.#clusterName, command, {
      commandId,
      timeoutMs: this.#timeoutMs,
    }).then((ack) => {
      this.#ids.delete(key);
      return ack;
    }, (error: Error) => {
      // The agent answered: it remembers this id with the failure, so a retry needs a new
      // one. No answer: keep the id, the agent may have applied it.
      if (error instanceof CommandFailedError) this.#ids.delete(key);
      throw new Error(`Cannot ${what} on ${this.#clusterName}: ${error.message}`, {
        cause: error,
      });
    }).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, call);
    return call;
  }
}

/** The pivot progress of an ack; an ack without it is from an agent that cannot pivot. */
function expectProgress(ack: CommandAck, what: string): PivotBatchAck {
  if (!ack.pivot) {
    throw new Error(`Cannot ${what}: the agent's acknowledgement carries no pivot progress`);
  }
  return ack.pivot;
}
