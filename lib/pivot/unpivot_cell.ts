/**
 * The unpivot, parent side: the parent is the TARGET of the reversed pivot. Each
 * UnpivotTransfer from a child's agent is checked, applied through a {@linkcode PivotTarget}
 * on the parent's API server (same idempotent creates, owner rebuilding, unpause and abort as
 * the child uses in the forward pivot) and answered with an UnpivotTransferAck.
 *
 * A child may write to its parent only what a deletion asked for: the parent's copy of that
 * child must be deleting (`allowed`), the namespace must be the child's `capi-<name>`, and
 * every object must be a namespaced Cluster API object, Secret or ConfigMap of that
 * namespace. Anything else is refused, whatever the child sends.
 */
import type { AgentRegistry } from "../cell/registry.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { UnpivotTransfer, UnpivotTransferAck } from "../proto/lattice/agent/v1/agent.ts";
import { groupOf, type PivotBatch } from "./types.ts";
import type { PivotTargetApi } from "./agent_handlers.ts";
import { fromWireBatch } from "./wire.ts";

/** Options for {@linkcode UnpivotReceiver}. */
export interface UnpivotReceiverOptions {
  /** The target on the parent's API server. */
  target: PivotTargetApi;
  /** Whether `clusterName` may hand its objects back now (its copy is being deleted). */
  allowed(clusterName: string): Promise<boolean>;
  logger?: Logger;
}

/** The namespace a child's CAPI objects live in. */
export function capiNamespaceOf(clusterName: string): string {
  return `capi-${clusterName}`;
}

/** Throws unless every object of `batch` is one a child may hand back. */
export function checkReturnedBatch(batch: PivotBatch, clusterName: string): void {
  const namespace = capiNamespaceOf(clusterName);
  if (batch.clusterName !== clusterName || batch.namespace !== namespace) {
    throw new Error(
      `Cannot accept unpivot batch: it names ${batch.namespace}/${batch.clusterName}, ` +
        `not ${namespace}/${clusterName}`,
    );
  }
  for (const entry of batch.entries) {
    const o = entry.object;
    const group = groupOf(o.apiVersion ?? "");
    const capi = group === "cluster.x-k8s.io" || group.endsWith(".cluster.x-k8s.io");
    const plain = group === "" && (o.kind === "Secret" || o.kind === "ConfigMap");
    if (!capi && !plain) {
      throw new Error(
        `Cannot accept unpivot batch: ${o.kind} (${o.apiVersion}) is not a Cluster API ` +
          "object, Secret or ConfigMap",
      );
    }
    if (o.metadata?.namespace !== namespace) {
      throw new Error(
        `Cannot accept unpivot batch: ${o.kind} ${o.metadata?.name} is not in ${namespace}`,
      );
    }
  }
}

/** Answers the unpivot transfers of every child on a registry. */
export class UnpivotReceiver {
  readonly #o: UnpivotReceiverOptions;
  readonly #log: Logger;

  constructor(options: UnpivotReceiverOptions) {
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "unpivot-receiver" });
  }

  /** Follows `registry` until the returned function is called. */
  attach(registry: Pick<AgentRegistry, "subscribe" | "send">): () => void {
    return registry.subscribe((event) => {
      if (event.type !== "message") return;
      const payload = event.message.payload;
      if (payload?.$case !== "unpivotTransfer") return;
      const name = event.clusterName;
      this.handle(name, payload.value).then((ack) => {
        try {
          registry.send(name, {
            command: { $case: "unpivotTransferAck", value: ack },
            commandId: "",
          });
        } catch (error) {
          this.#log.debug("Cannot answer unpivot transfer: agent gone", { cluster: name, error });
        }
      });
    });
  }

  /** Applies one transfer from `clusterName` (the certificate identity); never throws. */
  async handle(clusterName: string, transfer: UnpivotTransfer): Promise<UnpivotTransferAck> {
    const answer = (error?: unknown, progress?: UnpivotTransferAck["progress"]) => ({
      requestId: transfer.requestId,
      ok: error === undefined,
      error: error === undefined ? "" : (error as Error).message ?? String(error),
      progress,
    });
    try {
      const namespace = capiNamespaceOf(clusterName);
      if (transfer.clusterName !== clusterName || transfer.capiNamespace !== namespace) {
        throw new Error(
          `Cannot accept unpivot of ${transfer.capiNamespace}/${transfer.clusterName} from ` +
            `${clusterName}`,
        );
      }
      if (!(await this.#o.allowed(clusterName))) {
        throw new Error(
          `Cannot accept unpivot from ${clusterName}: its LatticeCluster here is not being deleted`,
        );
      }
      const step = transfer.step;
      const ids = { clusterName, namespace };
      switch (step?.$case) {
        case "batch": {
          const batch = fromWireBatch(step.value);
          checkReturnedBatch(batch, clusterName);
          await this.#o.target.applyBatch(batch);
          return answer(undefined, {
            pivotId: batch.pivotId,
            batchIndex: batch.index,
            nextBatchIndex: batch.index + 1,
            objectsReceived: batch.entries.length,
          });
        }
        case "unpause":
          await this.#o.target.complete({ pivotId: step.value.pivotId, ...ids });
          return answer();
        case "abort":
          await this.#o.target.abort({
            pivotId: step.value.pivotId,
            ...ids,
            reason: step.value.reason,
          });
          return answer();
        default:
          throw new Error("Cannot accept unpivot transfer: no step");
      }
    } catch (error) {
      this.#log.warn("Refused or failed unpivot transfer", { cluster: clusterName, error });
      return answer(error);
    }
  }
}
