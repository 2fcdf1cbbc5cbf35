/**
 * The cell side of the pivot: a resumable state machine over persisted progress.
 *
 *   Pausing → Sending (batch by batch) → Completing → DeletingSource → Done
 *        └─────────┴── timeout ──→ Aborting → Aborted (source unpaused, child copies deleted)
 *
 * Completing is the commit point: it is persisted BEFORE the child is told to unpause, and
 * from then on the pivot only goes forward (no timeout rollback), because the child may
 * already manage the machines and unpausing the source would give them two managers.
 * Before it, a timeout always unpauses the source. See docs/adr/pivot-crash-safety.md.
 */
import { isNotFound } from "../kube/errors.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { capiRef, type PivotClient } from "./_client.ts";
import { batchesDigest, type BatchLimits, moveEntries, splitBatches } from "./batches.ts";
import { deleteGraph } from "./delete.ts";
import { type MoveGraph, PivotGraphError } from "./graph.ts";
import { type DiscoveredType, discoverMoveGraph, discoverMoveTypes } from "./object_graph.ts";
import { withProviderIdentities } from "../providers/identity_discovery.ts";
import { pauseCluster, unpausePivoted } from "./pause.ts";
import {
  type PivotCondition,
  PIVOTED_CONDITION,
  type PivotPhase,
  type PivotProgress,
  type ProgressStore,
} from "./progress.ts";
import { describeObject, type PivotTransport } from "./types.ts";
import { withDeadline } from "./_deadline.ts";
import { clusterIds, defaultPivotId, sendBatch } from "./_send.ts";

/** Everything one pivot acts on. */
export interface PivotScope {
  /** The cell's API server, where the Cluster API objects are now. */
  client: PivotClient;
  /** The Cluster API Cluster to move. */
  clusterName: string;
  /** Its namespace. */
  namespace: string;
  /** The way to the child's agent. */
  transport: PivotTransport;
  /** Where progress is persisted (the LatticeCluster status in the cell). */
  progress: ProgressStore;
}

/** Test hook: called at each step boundary; throwing there simulates a crash. */
export type PivotHook = (point: string) => void | Promise<void>;

/** Options for {@linkcode runPivot}. */
export interface RunPivotOptions extends BatchLimits {
  /** Overall limit before the commit point, from progress.startedAt; default 15 min. */
  timeoutMs?: number;
  /** Limit of one abort call to the child; default 30 s. */
  abortTimeoutMs?: number;
  /** Requeue delay while a block-move annotation holds the pivot; default 5 s. */
  blockedRequeueMs?: number;
  /** Requeue delay after a rollback before a new attempt; default 60 s. */
  abortedRequeueMs?: number;
  /** Label selector of the CRDs to move; default `cluster.x-k8s.io/provider`. */
  crdLabelSelector?: string;
  /** Deletes in flight at once on the source; default 32. */
  concurrency?: number;
  now?: () => Date;
  logger?: Logger;
  /** Id for a new attempt; default time + random. Must be a valid label value. */
  newPivotId?: () => string;
  /** Failure injection at step boundaries (tests). */
  hook?: PivotHook;
}

/** What one call achieved. */
export interface PivotResult {
  /** True once the child owns the objects and the source holds none. */
  done: boolean;
  phase: PivotPhase;
  pivotId: string;
  /** Call again after this long (blocked, or rolled back). */
  requeueAfterMs?: number;
  /** The Pivoted condition this call recorded, for the controller's own status patch. */
  condition?: PivotCondition;
  /** Objects in the move graph, when known. */
  objects?: number;
  /** Batches in this attempt, when known. */
  batches?: number;
}

/**
 * Runs (or resumes) the pivot of one Cluster as far as it can go now. Safe to call again
 * after any failure or crash: progress is persisted at every step and every step is
 * idempotent. Throws on errors worth a retry; returns `done: true` once finished.
 */
export async function runPivot(
  scope: PivotScope,
  options: RunPivotOptions = {},
): Promise<PivotResult> {
  const now = options.now ?? (() => new Date());
  const hook = options.hook ?? (() => {});
  const cluster = { name: scope.clusterName, namespace: scope.namespace };
  let p = await scope.progress.load();
  if (!p || p.phase === "Aborted") {
    const start = now();
    p = {
      phase: "Pausing",
      pivotId: (options.newPivotId ?? (() => defaultPivotId(start)))(),
      batchesAcked: 0,
      startedAt: start.toISOString().replace(/\.\d{3}Z$/, "Z"),
    };
    await scope.progress.save(p);
  }
  const log = (options.logger ?? silentLogger).child({
    component: "pivot",
    cluster: `${scope.namespace}/${scope.clusterName}`,
    pivotId: p.pivotId,
  });
  const save = async (next: PivotProgress, condition?: PivotCondition) => {
    p = next;
    await scope.progress.save(next, condition);
  };
  const result = (extra: Partial<PivotResult> = {}): PivotResult => ({
    done: p!.phase === "Done",
    phase: p!.phase,
    pivotId: p!.pivotId,
    objects: p!.objects,
    batches: p!.batchesTotal,
    ...extra,
  });
  const deadline = Date.parse(p.startedAt) + (options.timeoutMs ?? 15 * 60_000);
  const remaining = () => deadline - now().getTime();

  const rollback = async (reason: string): Promise<PivotResult> => {
    const condition: PivotCondition = {
      type: PIVOTED_CONDITION,
      status: "False",
      reason: "PivotRolledBack",
      message: reason,
    };
    if (p!.phase !== "Aborting") {
      log.warn("Rolling the pivot back", { reason });
      await save({ ...p!, phase: "Aborting", message: reason }, condition);
    }
    // The source is unpaused first: whatever happens with the child, it must not stay paused.
    await unpausePivoted(scope.client, scope.namespace);
    await hook("abort:unpaused");
    try {
      await withDeadline(
        scope.transport.abort({ pivotId: p!.pivotId, ...clusterIds(scope), reason }),
        options.abortTimeoutMs ?? 30_000,
        "abort the pivot on the child",
      );
    } catch (error) {
      log.warn("Cannot delete the child's copies yet; will retry", { error });
      return result({ requeueAfterMs: options.abortedRequeueMs ?? 60_000, condition });
    }
    await save({ ...p!, phase: "Aborted" });
    return result({ requeueAfterMs: options.abortedRequeueMs ?? 60_000, condition });
  };

  if (p.phase === "Done") return result();
  if (p.phase === "Aborting") return await rollback(p.message ?? "rolled back");
  const beforeCommit = p.phase === "Pausing" || p.phase === "Sending";
  if (beforeCommit && remaining() <= 0) {
    return await rollback(`pivot did not complete within ${options.timeoutMs ?? 900_000} ms`);
  }

  let types: DiscoveredType[] | undefined;
  const discover = async (allowMissingOwners = false): Promise<MoveGraph> => {
    types ??= await discoverMoveTypes(scope.client, options);
    const graph = await discoverMoveGraph(scope.client, cluster, { types, allowMissingOwners });
    // Provider identities and their Secrets (#23): moved with the cluster, copied if shared.
    return await withProviderIdentities(scope.client, graph, { allowMissing: allowMissingOwners });
  };

  let graph: MoveGraph | undefined;
  if (p.phase === "Pausing") {
    await hook("pause:before");
    log.info("Pausing the source");
    const paused = await pauseCluster(scope.client, cluster, p.pivotId);
    if (paused.pausedByOthers.length) {
      log.warn("Already paused by someone else; stays paused after the pivot", {
        objects: paused.pausedByOthers,
      });
    }
    await hook("pause:after");
    try {
      graph = await discover();
    } catch (error) {
      // An unorderable graph will not order itself: unpause now and say why.
      if (error instanceof PivotGraphError) return await rollback(error.message);
      throw error;
    }
    if (graph.blocking.length) {
      const message = `waiting for ${
        graph.blocking.map((n) => describeObject(n.identity)).join(", ")
      } ` +
        "to drop the block-move annotation";
      log.info("Pivot blocked", { message });
      await save({ ...p, message }, {
        type: PIVOTED_CONDITION,
        status: "False",
        reason: "MoveBlocked",
        message,
      });
      return result({ requeueAfterMs: options.blockedRequeueMs ?? 5_000 });
    }
    await save({ ...p, phase: "Sending", batchesAcked: 0, message: undefined });
  }

  if (p.phase === "Sending") {
    graph ??= await discover();
    const batches = splitBatches(moveEntries(graph.nodes), options);
    const digest = await batchesDigest(batches);
    if (p.graphDigest !== digest) {
      // Different batches than the ones acknowledged: resend from the start (idempotent).
      await save({
        ...p,
        batchesAcked: 0,
        batchesTotal: batches.length,
        objects: graph.nodes.length,
        graphDigest: digest,
      });
    }
    for (let i = p.batchesAcked; i < batches.length; i++) {
      if (remaining() <= 0) {
        return await rollback(`pivot timed out after batch ${i}/${batches.length}`);
      }
      await hook(`batch:${i}:before`);
      const sent = await sendBatch(scope, p.pivotId, i, batches, remaining());
      if (sent === "timeout") return await rollback(`batch ${i} was not acknowledged in time`);
      await hook(`batch:${i}:acked`);
      await save({ ...p, batchesAcked: i + 1 });
      await hook(`batch:${i}:after`);
    }
    log.info("Every batch acknowledged; committing", { batches: batches.length });
    await save({ ...p, phase: "Completing" });
  }

  if (p.phase === "Completing") {
    await hook("complete:before");
    await scope.transport.complete({ pivotId: p.pivotId, ...clusterIds(scope) });
    await hook("complete:acked");
    await save({ ...p, phase: "DeletingSource" });
  }

  if (p.phase === "DeletingSource") {
    await hook("delete:before");
    const clusterRef = await capiRef(scope.client, "clusters");
    const present = await scope.client.get(clusterRef, cluster.name, cluster.namespace)
      .then(() => true, (error) => {
        if (isNotFound(error)) return false;
        throw error;
      });
    if (present) {
      // Same call: the graph just sent. After a crash: rediscover what is left (the Cluster
      // goes last, so the rest is still reachable from it).
      const remainingGraph = graph ?? await discover(true);
      let n = 0;
      log.info("Deleting the source copies", { objects: remainingGraph.nodes.length });
      await deleteGraph(scope.client, remainingGraph, {
        concurrency: options.concurrency,
        onDelete: () => hook(`delete:${n++}`),
      });
    }
    // Kept objects (a ClusterClass others use) stay on the source: unpaused, never paused.
    await unpausePivoted(scope.client, scope.namespace);
    await hook("done:before");
    const condition: PivotCondition = {
      type: PIVOTED_CONDITION,
      status: "True",
      reason: "PivotComplete",
      message: `${p.objects ?? 0} objects moved to the child`,
    };
    await save({ ...p, phase: "Done", message: undefined }, condition);
    log.info("Pivot complete");
    return result({ condition });
  }
  return result();
}
