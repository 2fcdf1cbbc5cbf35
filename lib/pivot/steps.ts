/**
 * Folder-internal: the cell side's pivot as a table of named steps, one per persisted
 * phase. A step gets the progress it starts from (never mutated) and returns either the
 * progress to continue from or the final result; runPivot's one loop (source.ts) drives
 * them. Every step is resumable: it starts from what is persisted and repeats nothing that
 * is not idempotent. See docs/adr/pivot-crash-safety.md.
 */
import { isNotFound } from "../kube/errors.ts";
import type { Logger } from "../log/mod.ts";
import { capiRef, type PivotClient } from "./_client.ts";
import { batchesDigest, moveEntries, splitBatches } from "./batches.ts";
import { deleteGraph } from "./delete.ts";
import { type MoveGraph, PivotGraphError } from "./graph.ts";
import { pauseCluster, unpausePivoted } from "./pause.ts";
import {
  type PivotCondition,
  PIVOTED_CONDITION,
  type PivotPhase,
  type PivotProgress,
} from "./progress.ts";
import { describeObject, type PivotEntry, type PivotTransport } from "./types.ts";
import { withDeadline } from "./_deadline.ts";
import { clusterIds, sendBatch } from "./_send.ts";
import type { PivotHook, PivotResult, RunPivotOptions } from "./source.ts";

/** What every step of one runPivot call reads; nothing in it changes during the call. */
export interface PivotRun {
  /** The source's API, bound to the call's signal. */
  client: PivotClient;
  clusterName: string;
  namespace: string;
  transport: PivotTransport;
  options: RunPivotOptions;
  log: Logger;
  hook: PivotHook;
  signal?: AbortSignal;
  /** Milliseconds left before the pre-commit deadline of this attempt. */
  remaining(): number;
  /** Persists `next` (and a condition) and returns it. */
  save(next: PivotProgress, condition?: PivotCondition): Promise<PivotProgress>;
  /** The move graph as the source holds it now. */
  discover(allowMissingOwners?: boolean): Promise<MoveGraph>;
}

/** What a step hands to the loop: go on from `progress`, or stop with `result`. */
export type StepOutcome =
  | { progress: PivotProgress; graph?: MoveGraph }
  | { result: PivotResult };

/** One named step. `graph` is the graph an earlier step of this call discovered. */
export type PivotStep = (
  run: PivotRun,
  p: PivotProgress,
  graph?: MoveGraph,
) => Promise<StepOutcome>;

/** The result of a call that stopped at `p`. */
export function resultOf(p: PivotProgress, extra: Partial<PivotResult> = {}): PivotResult {
  return {
    done: p.phase === "Done",
    phase: p.phase,
    pivotId: p.pivotId,
    objects: p.objects,
    batches: p.batchesTotal,
    ...extra,
  };
}

/** Records the decision to roll back; the Aborting step does the work. */
export async function toAborting(
  run: PivotRun,
  p: PivotProgress,
  reason: string,
): Promise<{ progress: PivotProgress }> {
  run.log.warn("Rolling the pivot back", { reason });
  const progress = await run.save({ ...p, phase: "Aborting", message: reason }, {
    type: PIVOTED_CONDITION,
    status: "False",
    reason: "PivotRolledBack",
    message: reason,
  });
  return { progress };
}

const pausing: PivotStep = async (run, p) => {
  const cluster = { name: run.clusterName, namespace: run.namespace };
  await run.hook("pause:before");
  run.log.info("Pausing the source");
  const paused = await pauseCluster(run.client, cluster, p.pivotId);
  if (paused.pausedByOthers.length) {
    run.log.warn("Already paused by someone else; stays paused after the pivot", {
      objects: paused.pausedByOthers,
    });
  }
  await run.hook("pause:after");
  let graph: MoveGraph;
  try {
    graph = await run.discover();
  } catch (error) {
    // An unorderable graph will not order itself: unpause now and say why.
    if (error instanceof PivotGraphError) return await toAborting(run, p, error.message);
    throw error;
  }
  if (graph.blocking.length) {
    const names = graph.blocking.map((n) => describeObject(n.identity)).join(", ");
    const message = `waiting for ${names} to drop the block-move annotation`;
    run.log.info("Pivot blocked", { message });
    const saved = await run.save({ ...p, message }, {
      type: PIVOTED_CONDITION,
      status: "False",
      reason: "MoveBlocked",
      message,
    });
    return { result: resultOf(saved, { requeueAfterMs: run.options.blockedRequeueMs ?? 5_000 }) };
  }
  const progress = await run.save({ ...p, phase: "Sending", batchesAcked: 0, message: undefined });
  return { progress, graph };
};

/** Lowest and highest owner level of each batch. */
function levelSpans(batches: PivotEntry[][]): { min: number; max: number }[] {
  return batches.map((b) => ({
    min: Math.min(...b.map((e) => e.level)),
    max: Math.max(...b.map((e) => e.level)),
  }));
}

const sending: PivotStep = async (run, start, known) => {
  const graph = known ?? await run.discover();
  const batches = splitBatches(moveEntries(graph.nodes), run.options);
  const digest = await batchesDigest(batches);
  let p = start;
  if (p.graphDigest !== digest) {
    // Different batches than the ones acknowledged: resend from the start (idempotent).
    p = await run.save({
      ...p,
      batchesAcked: 0,
      batchesTotal: batches.length,
      objects: graph.nodes.length,
      graphDigest: digest,
    });
  }
  // Pipelined: up to `pipeline` batches in flight. A batch starts only once every earlier
  // batch that may hold one of its owners (a lower level) is acknowledged, so the target
  // always finds owners; the persisted mark is the acknowledged prefix.
  const window = Math.max(1, run.options.pipeline ?? 4);
  const spans = levelSpans(batches);
  const acked = new Set<number>();
  const inFlight = new Map<number, Promise<{ index: number; sent: "ok" | "timeout" }>>();
  let next = p.batchesAcked;
  const ready = (j: number) => {
    for (let k = p.batchesAcked; k < j; k++) {
      if (!acked.has(k) && spans[k].min < spans[j].max) return false;
    }
    return true;
  };
  const launch = (index: number) => {
    const task = (async () => {
      await run.hook(`batch:${index}:before`);
      const sent = await sendBatch(run, p.pivotId, index, batches, run.remaining(), run.signal);
      return { index, sent };
    })();
    inFlight.set(index, task);
  };
  // Nothing keeps running in the background once this step returns or throws.
  const settle = async () => void await Promise.allSettled(inFlight.values());
  try {
    while (next < batches.length || inFlight.size > 0) {
      while (inFlight.size < window && next < batches.length && ready(next)) {
        run.signal?.throwIfAborted();
        if (run.remaining() <= 0) {
          await settle();
          return await toAborting(run, p, `pivot timed out after batch ${next}/${batches.length}`);
        }
        launch(next++);
      }
      const { index, sent } = await Promise.race(inFlight.values());
      inFlight.delete(index);
      if (sent === "timeout") {
        await settle();
        return await toAborting(run, p, `batch ${index} was not acknowledged in time`);
      }
      acked.add(index);
      await run.hook(`batch:${index}:acked`);
      let prefix = p.batchesAcked;
      while (acked.has(prefix)) prefix++;
      if (prefix !== p.batchesAcked) p = await run.save({ ...p, batchesAcked: prefix });
      await run.hook(`batch:${index}:after`);
    }
  } catch (error) {
    await settle();
    throw error;
  }
  run.log.info("Every batch acknowledged; committing", { batches: batches.length });
  return { progress: await run.save({ ...p, phase: "Completing" }), graph };
};

const completing: PivotStep = async (run, p, graph) => {
  await run.hook("complete:before");
  await withDeadline(
    run.transport.complete({ pivotId: p.pivotId, ...clusterIds(run) }),
    run.options.completeTimeoutMs ?? 5 * 60_000,
    "complete the pivot on the child",
    { signal: run.signal },
  );
  await run.hook("complete:acked");
  return { progress: await run.save({ ...p, phase: "DeletingSource" }), graph };
};

const deletingSource: PivotStep = async (run, p, graph) => {
  await run.hook("delete:before");
  const clusterRef = await capiRef(run.client, "clusters");
  const present = await run.client.get(clusterRef, run.clusterName, run.namespace)
    .then(() => true, (error) => {
      if (isNotFound(error)) return false;
      throw error;
    });
  if (present) {
    // Same call: the graph just sent. After a crash: rediscover what is left (the Cluster
    // goes last, so the rest is still reachable from it).
    const remaining = graph ?? await run.discover(true);
    let n = 0;
    run.log.info("Deleting the source copies", { objects: remaining.nodes.length });
    await deleteGraph(run.client, remaining, {
      concurrency: run.options.concurrency,
      onDelete: () => run.hook(`delete:${n++}`),
    });
  }
  // Kept objects (a ClusterClass others use) stay on the source: unpaused, never paused.
  await unpausePivoted(run.client, run.namespace);
  await run.hook("done:before");
  const condition: PivotCondition = {
    type: PIVOTED_CONDITION,
    status: "True",
    reason: "PivotComplete",
    message: `${p.objects ?? 0} objects moved to the child`,
  };
  const done = await run.save({ ...p, phase: "Done", message: undefined }, condition);
  run.log.info("Pivot complete");
  return { result: resultOf(done, { condition }) };
};

const aborting: PivotStep = async (run, p) => {
  const reason = p.message ?? "rolled back";
  const condition: PivotCondition = {
    type: PIVOTED_CONDITION,
    status: "False",
    reason: "PivotRolledBack",
    message: reason,
  };
  const requeueAfterMs = run.options.abortedRequeueMs ?? 60_000;
  // The source is unpaused first: whatever happens with the child, it must not stay paused.
  await unpausePivoted(run.client, run.namespace);
  await run.hook("abort:unpaused");
  try {
    await withDeadline(
      run.transport.abort({ pivotId: p.pivotId, ...clusterIds(run), reason }),
      run.options.abortTimeoutMs ?? 30_000,
      "abort the pivot on the child",
      { signal: run.signal },
    );
  } catch (error) {
    run.signal?.throwIfAborted();
    run.log.warn("Cannot delete the child's copies yet; will retry", { error });
    return { result: resultOf(p, { requeueAfterMs, condition }) };
  }
  const aborted = await run.save({ ...p, phase: "Aborted" });
  return { result: resultOf(aborted, { requeueAfterMs, condition }) };
};

/** The step of each phase; a phase without one (Done, Aborted) ends the call. */
export const PIVOT_STEPS: Readonly<Partial<Record<PivotPhase, PivotStep>>> = {
  Pausing: pausing,
  Sending: sending,
  Completing: completing,
  DeletingSource: deletingSource,
  Aborting: aborting,
};
