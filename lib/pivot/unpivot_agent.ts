/**
 * The unpivot, child side: deleting a pivoted cluster on its parent moves its CAPI objects
 * back there first — the pivot in reverse. The CHILD runs {@linkcode runPivot} as the source
 * (pause, batches, commit point, source deletion, all persisted in its own LatticeCluster's
 * `status.unpivot`), and the parent is the target: each PivotTransport call travels up the
 * stream as an UnpivotTransfer and the parent answers with an UnpivotTransferAck.
 *
 * The parent sends UnpivotCommand again and again until the ack says Done; each one starts
 * (or resumes, after a crash of either side) the run, so retries need no other memory.
 */
import { systemClock } from "../runtime/clock.ts";
import type { AgentPayload, CommandHandlers } from "../agent/handlers.ts";
import type { KubeClient } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type {
  UnpivotProgress,
  UnpivotTransfer,
  UnpivotTransferAck,
} from "../proto/lattice/agent/v1/agent.ts";
import { latticeClusterProgressStore, type ProgressStore } from "./progress.ts";
import { runPivot, type RunPivotOptions } from "./source.ts";
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

/** The condition the child records for its unpivot. */
export const UNPIVOTED_CONDITION = "Unpivoted";

type Step = NonNullable<UnpivotTransfer["step"]>;

/** Sends transfers up the stream and matches the parent's answers by request id. */
export class ReverseTransport implements PivotTransport {
  readonly #send: (payload: AgentPayload) => boolean | void;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, (ack: UnpivotTransferAck | Error) => void>();
  readonly #ids: { unpivotId: string; clusterName: string; namespace: string };

  constructor(
    send: (payload: AgentPayload) => boolean | void,
    ids: { unpivotId: string; clusterName: string; namespace: string },
    timeoutMs = 30_000,
  ) {
    this.#send = send;
    this.#ids = ids;
    this.#timeoutMs = timeoutMs;
  }

  /** Settles the request an answer belongs to. */
  answer(ack: UnpivotTransferAck): boolean {
    const settle = this.#pending.get(ack.requestId);
    settle?.(ack);
    return settle !== undefined;
  }

  /** Fails every request in flight (the stream went down). */
  failAll(reason: string): void {
    for (const settle of [...this.#pending.values()]) settle(new Error(reason));
  }

  async sendBatch(batch: PivotBatch): Promise<PivotAck> {
    await this.#request({
      $case: "batch",
      value: toWireBatch(batch),
    }, `send unpivot batch ${batch.index}`);
    return {
      pivotId: batch.pivotId,
      index: batch.index,
      created: batch.entries.length,
      existing: 0,
    };
  }

  async complete(request: PivotCompleteRequest): Promise<PivotCompleteResult> {
    await this.#request(
      { $case: "unpause", value: { pivotId: request.pivotId } },
      "unpause on the parent",
    );
    return { pivotId: request.pivotId, unpaused: 0 };
  }

  async abort(request: PivotAbortRequest): Promise<PivotAbortResult> {
    await this.#request(
      { $case: "abort", value: { pivotId: request.pivotId, reason: request.reason } },
      "abort on the parent",
    );
    return { pivotId: request.pivotId, deleted: 0 };
  }

  #request(step: Step, what: string): Promise<UnpivotTransferAck> {
    const requestId = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const timer = systemClock.setTimeout(
        () => settle(new Error(`no answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      const settle = (ack: UnpivotTransferAck | Error) => {
        systemClock.clearTimeout(timer);
        this.#pending.delete(requestId);
        if (ack instanceof Error) reject(new Error(`Cannot ${what}: ${ack.message}`));
        else if (!ack.ok) reject(new Error(`Cannot ${what}: ${ack.error}`));
        else resolve(ack);
      };
      this.#pending.set(requestId, settle);
      const sent = this.#send({
        $case: "unpivotTransfer",
        value: {
          requestId,
          unpivotId: this.#ids.unpivotId,
          clusterName: this.#ids.clusterName,
          capiNamespace: this.#ids.namespace,
          step,
        },
      });
      if (sent === false) settle(new Error("not connected to the parent"));
    });
  }
}

/** Options for {@linkcode unpivotHandlers}. */
export interface UnpivotHandlersOptions extends RunPivotOptions {
  /** Wait this long for each answer of the parent; default 30 s. */
  transferTimeoutMs?: number;
  /** Where progress lives; default the child's own LatticeCluster `status.unpivot`. */
  progressFor?: (clusterName: string) => ProgressStore;
}

/** The child side's handler table entries, and a way to fail transfers on disconnect. */
export interface UnpivotAgent {
  handlers: CommandHandlers;
  /** Fails transfers in flight (call when the stream drops: the run resumes on the next command). */
  disconnected(): void;
  /** Resolves when no run is in flight (tests, shutdown). */
  idle(): Promise<void>;
}

function progressOf(p: Awaited<ReturnType<ProgressStore["load"]>>, id: string): UnpivotProgress {
  return {
    unpivotId: id,
    phase: p?.phase ?? "",
    message: p?.message ?? "",
    objects: p?.objects ?? 0,
  };
}

/** Handlers for UnpivotCommand and the parent's UnpivotTransferAck. */
export function unpivotHandlers(
  client: KubeClient,
  options: UnpivotHandlersOptions = {},
): UnpivotAgent {
  const log: Logger = (options.logger ?? silentLogger).child({ component: "unpivot" });
  let transport: ReverseTransport | undefined;
  let running: Promise<void> | undefined;
  const progressFor = options.progressFor ??
    ((name: string) =>
      latticeClusterProgressStore(client, name, {
        field: "unpivot",
        conditionType: UNPIVOTED_CONDITION,
        now: options.now,
      }));

  return {
    handlers: {
      unpivot: async (command, ctx) => {
        if (command.clusterName !== ctx.clusterName) {
          throw new Error(
            `Cannot unpivot ${command.clusterName}: this agent is ${ctx.clusterName}`,
          );
        }
        if (command.capiNamespace !== `capi-${ctx.clusterName}`) {
          throw new Error(
            `Cannot unpivot from namespace ${command.capiNamespace}: the CAPI objects of ` +
              `${ctx.clusterName} are in capi-${ctx.clusterName}`,
          );
        }
        const progress = progressFor(ctx.clusterName);
        const current = await progress.load();
        if (current?.phase === "Done" || running) {
          return { unpivot: progressOf(current, command.unpivotId) };
        }
        const reverse = new ReverseTransport(ctx.send, {
          unpivotId: command.unpivotId,
          clusterName: command.clusterName,
          namespace: command.capiNamespace,
        }, options.transferTimeoutMs);
        transport = reverse;
        log.info("Moving the CAPI objects back to the parent", { unpivotId: command.unpivotId });
        running = runPivot({
          client,
          clusterName: command.clusterName,
          namespace: command.capiNamespace,
          transport: reverse,
          progress,
        }, { ...options, logger: log, signal: ctx.signal }).then((result) => {
          log.info("Unpivot step finished", { phase: result.phase, done: result.done });
        }, (error) => {
          log.warn("Unpivot attempt failed; resumed on the parent's next command", { error });
        }).finally(() => {
          running = undefined;
          if (transport === reverse) transport = undefined;
        });
        return { unpivot: progressOf(await progress.load(), command.unpivotId) };
      },
      unpivotTransferAck: (ack) => {
        transport?.answer(ack);
      },
    },
    disconnected() {
      transport?.failAll("the stream to the parent closed");
    },
    async idle() {
      while (running) await running;
    },
  };
}
