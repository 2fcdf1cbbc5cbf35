/**
 * The agent side of the pivot: creates each batch's objects in the child's API server,
 * rebuilding ownerReferences with the child's UIDs and restoring status; unpauses on
 * complete; deletes its paused copies on abort. Every call is idempotent and keeps no state
 * that matters across a restart: owners are looked up by kind/namespace/name on the server.
 */
import { defined } from "./_defined.ts";
import { isAlreadyExists, isNotFound } from "../kube/errors.ts";
import type { KubeObject, OwnerReference } from "../kube/types.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { byLevel, capiRef, type PivotClient, pool } from "./_client.ts";
import { sanitizeForMove } from "./batches.ts";
import { deleteGraph } from "./delete.ts";
import { discoverMoveGraph, type DiscoverTypesOptions } from "./object_graph.ts";
import { unpausePivoted } from "./pause.ts";
import {
  describeObject,
  groupOf,
  PIVOT_PAUSED_LABEL,
  type PivotAbortRequest,
  type PivotAbortResult,
  type PivotAck,
  type PivotBatch,
  type PivotCompleteRequest,
  type PivotCompleteResult,
  type PivotEntry,
} from "./types.ts";

/** Options for {@linkcode PivotTarget}. */
export interface PivotTargetOptions extends DiscoverTypesOptions {
  /** Creates in flight at once within one level; default 32. */
  concurrency?: number;
  logger?: Logger;
}

function ownerKey(group: string, kind: string, namespace: string, name: string): string {
  return `${group}/${kind}/${namespace}/${name}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Applies pivot batches to the child's API server. */
export class PivotTarget {
  #client: PivotClient;
  #options: PivotTargetOptions;
  #log: Logger;
  // Only a cache: the server is the truth, so losing it in a restart costs GETs, not safety.
  #uids = new Map<string, string>();
  #namespaces = new Set<string>();

  constructor(client: PivotClient, options: PivotTargetOptions = {}) {
    this.#client = client;
    this.#options = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "pivot-target" });
  }

  /** Creates every object of the batch ("already exists" counts as done). */
  async applyBatch(batch: PivotBatch): Promise<PivotAck> {
    this.#log.info("Applying pivot batch", {
      pivotId: batch.pivotId,
      index: batch.index,
      total: batch.total,
      objects: batch.entries.length,
    });
    await this.#ensureNamespace(batch.namespace);
    let created = 0;
    let existing = 0;
    for (const level of byLevel(batch.entries, (e) => e.level)) {
      await pool(level, this.#options.concurrency ?? 32, async (entry) => {
        if (await this.#createOne(entry)) created++;
        else existing++;
      });
    }
    return { pivotId: batch.pivotId, index: batch.index, created, existing };
  }

  /** Unpauses what this pivot paused: the child's controllers take over. Idempotent. */
  async complete(request: PivotCompleteRequest): Promise<PivotCompleteResult> {
    this.#log.info("Unpausing pivoted objects", { pivotId: request.pivotId });
    const unpaused = await unpausePivoted(this.#client, request.namespace, {
      pivotId: request.pivotId,
    });
    return { pivotId: request.pivotId, unpaused };
  }

  /**
   * Deletes the paused copies a rolled-back pivot left here. Refuses when the child's
   * Cluster exists but is not paused by this pivot: it then belongs to the child.
   */
  async abort(request: PivotAbortRequest): Promise<PivotAbortResult> {
    const clusterRef = await capiRef(this.#client, "clusters");
    let cluster: KubeObject;
    try {
      cluster = await this.#client.get<KubeObject>(
        clusterRef,
        request.clusterName,
        request.namespace,
      );
    } catch (error) {
      if (isNotFound(error)) return { pivotId: request.pivotId, deleted: 0 };
      throw error;
    }
    if (cluster.metadata?.labels?.[PIVOT_PAUSED_LABEL] !== request.pivotId) {
      throw new Error(
        `Cannot abort pivot ${request.pivotId}: Cluster ${request.namespace}/${request.clusterName} ` +
          "on the child is not paused by it",
      );
    }
    this.#log.warn("Deleting the copies of an aborted pivot", {
      pivotId: request.pivotId,
      reason: request.reason,
    });
    const graph = await discoverMoveGraph(this.#client, {
      name: request.clusterName,
      namespace: request.namespace,
    }, { ...this.#options, allowMissingOwners: true });
    this.#uids.clear();
    const deleted = await deleteGraph(this.#client, graph, { includeKept: true });
    return { pivotId: request.pivotId, deleted };
  }

  async #ensureNamespace(namespace: string): Promise<void> {
    if (this.#namespaces.has(namespace)) return;
    try {
      await this.#client.create({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace },
      });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    this.#namespaces.add(namespace);
  }

  async #ownerUid(namespace: string, ref: OwnerReference): Promise<string> {
    const key = ownerKey(groupOf(ref.apiVersion), ref.kind, namespace, ref.name);
    const cached = this.#uids.get(key);
    if (cached) return cached;
    const resource = await this.#client.resourceFor(ref.apiVersion, ref.kind);
    const owner = await this.#client.get<KubeObject>(resource, ref.name, namespace);
    const uid = defined(owner.metadata?.uid, `uid of ${ref.kind} ${ref.name} on the child`);
    this.#uids.set(key, uid);
    return uid;
  }

  /** Creates one object; false when it already existed. */
  async #createOne(entry: PivotEntry): Promise<boolean> {
    const source = entry.object;
    const obj = sanitizeForMove(source);
    const meta = defined(obj.metadata, `metadata of ${describeObject(source)}`);
    const name = defined(meta.name, `name of ${describeObject(source)}`);
    const apiVersion = defined(obj.apiVersion, `apiVersion of ${describeObject(source)}`);
    const kind = defined(obj.kind, `kind of ${describeObject(source)}`);
    const namespace = meta.namespace ?? "";
    // Provider identities' Secrets may live outside the batch's namespace (capa-system).
    if (namespace) await this.#ensureNamespace(namespace);
    if (meta.ownerReferences?.length) {
      meta.ownerReferences = await Promise.all(meta.ownerReferences.map(async (ref) => {
        try {
          return { ...ref, uid: await this.#ownerUid(namespace, ref) };
        } catch (error) {
          throw new Error(
            `Cannot create ${
              describeObject(source)
            }: owner ${ref.kind} ${ref.name} is not on the child`,
            { cause: error },
          );
        }
      }));
    }
    const resource = await this.#client.resourceFor(apiVersion, kind);
    let current: KubeObject;
    let created = true;
    try {
      current = await this.#client.create(obj);
    } catch (error) {
      if (!isAlreadyExists(error)) {
        throw new Error(`Cannot create ${describeObject(source)} on the child`, { cause: error });
      }
      created = false;
      current = await this.#client.get<KubeObject>(resource, name, meta.namespace);
    }
    this.#uids.set(
      ownerKey(groupOf(apiVersion), kind, namespace, name),
      defined(current.metadata?.uid, `uid of ${describeObject(source)} on the child`),
    );
    // A status subresource drops status on create. Restore it when it is missing — never
    // over a status the child's controllers have since written (after complete).
    const status = source.status;
    const restore = status !== undefined &&
      (created ? !sameJson(current.status, status) : current.status === undefined);
    if (restore) {
      try {
        await this.#client.patchStatus(resource, name, meta.namespace, { status });
      } catch (error) {
        // No status subresource: the create already stored the status as sent.
        if (!isNotFound(error)) throw error;
      }
    }
    return created;
  }
}
