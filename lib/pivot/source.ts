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
 *
 * Each phase is a named step (steps.ts) driven by the one loop below. An AbortSignal
 * (shutdown, lost leadership) stops the call between two persisted marks: API calls abort,
 * no step continues in the background, and the next call — on this cell or the next
 * leader — resumes from the last mark.
 */
import { type Logger, silentLogger } from "../log/mod.ts";
import { bindSignal, type PivotClient } from "./_client.ts";
import type { BatchLimits } from "./batches.ts";
import type { MoveGraph } from "./graph.ts";
import { type DiscoveredType, discoverMoveGraph, discoverMoveTypes } from "./object_graph.ts";
import { withProviderIdentities } from "../providers/identity_discovery.ts";
import type { PivotCondition, PivotPhase, PivotProgress, ProgressStore } from "./progress.ts";
import type { PivotTransport } from "./types.ts";
import { defaultPivotId } from "./_send.ts";
import { PIVOT_STEPS, type PivotRun, resultOf, toAborting } from "./steps.ts";

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
  /** Batches in flight at once (a batch still waits for the batches holding its owners); default 4. */
  pipeline?: number;
  /** Limit of the child's answer to complete; default 5 min (then retried). */
  completeTimeoutMs?: number;
  /** Aborts the call (shutdown, lost leadership); progress stays where it was persisted. */
  signal?: AbortSignal;
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
 * after any failure, crash or abort: progress is persisted at every step and every step is
 * idempotent. Throws on errors worth a retry (and with the signal's reason when aborted);
 * returns `done: true` once finished.
 */
export async function runPivot(
  scope: PivotScope,
  options: RunPivotOptions = {},
): Promise<PivotResult> {
  const now = options.now ?? (() => new Date());
  const signal = options.signal;
  signal?.throwIfAborted();
  const client = bindSignal(scope.client, signal);
  const save = async (next: PivotProgress, condition?: PivotCondition) => {
    await scope.progress.save(next, condition);
    return next;
  };
  const loaded = await scope.progress.load();
  const fresh = () => {
    const start = now();
    return save({
      phase: "Pausing",
      pivotId: (options.newPivotId ?? (() => defaultPivotId(start)))(),
      batchesAcked: 0,
      startedAt: start.toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
  };
  let p: PivotProgress = !loaded || loaded.phase === "Aborted" ? await fresh() : loaded;
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const deadline = Date.parse(p.startedAt) + timeoutMs;
  let types: Promise<DiscoveredType[]> | undefined;
  const cluster = { name: scope.clusterName, namespace: scope.namespace };
  const run: PivotRun = {
    client,
    clusterName: scope.clusterName,
    namespace: scope.namespace,
    transport: scope.transport,
    options,
    signal,
    hook: options.hook ?? (() => {}),
    log: (options.logger ?? silentLogger).child({
      component: "pivot",
      cluster: `${scope.namespace}/${scope.clusterName}`,
      pivotId: p.pivotId,
    }),
    remaining: () => deadline - now().getTime(),
    save,
    discover: async (allowMissingOwners = false) => {
      types ??= discoverMoveTypes(client, options);
      const graph = await discoverMoveGraph(client, cluster, {
        types: await types,
        allowMissingOwners,
      });
      // Provider identities and their Secrets (#23): moved with the cluster, copied if shared.
      return await withProviderIdentities(client, graph, { allowMissing: allowMissingOwners });
    },
  };

  const beforeCommit = p.phase === "Pausing" || p.phase === "Sending";
  if (beforeCommit && run.remaining() <= 0) {
    p = (await toAborting(run, p, `pivot did not complete within ${timeoutMs} ms`)).progress;
  }
  let graph: MoveGraph | undefined;
  for (;;) {
    const step = PIVOT_STEPS[p.phase];
    if (!step) return resultOf(p);
    signal?.throwIfAborted();
    const outcome = await step(run, p, graph);
    if ("result" in outcome) return outcome.result;
    p = outcome.progress;
    graph = outcome.graph;
  }
}
