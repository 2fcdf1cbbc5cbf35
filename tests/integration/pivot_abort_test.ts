/**
 * Cancellation of a running pivot between two real control planes: shutdown or lost
 * leadership (an aborted signal) stops runPivot within a second wherever it is — sending
 * batches, waiting for the child, deleting the source — with its progress persisted; the
 * next leader's runPivot resumes from there and the move ends complete, exact, unpaused.
 */
import assert from "node:assert/strict";
import type { KubeObject } from "../../lib/kube/types.ts";
import {
  InProcessTransport,
  latticeClusterProgressStore,
  PIVOT_PAUSED_LABEL,
  type PivotBatch,
  PivotTarget,
  runPivot,
} from "../../lib/pivot/mod.ts";
import { clusterFixture } from "../pivot/fixtures.ts";
import {
  createFixture,
  createLatticeCluster,
  latticeStatus,
  type PivotPlanes,
  snapshot,
  startPivotPlanes,
} from "../pivot/live.ts";

const CLUSTER_REF = {
  group: "cluster.x-k8s.io",
  version: "v1beta2",
  plural: "clusters",
  kind: "Cluster",
  namespaced: true,
};

/** A transport whose child never answers a batch from `stallAt` on (a hung stream). */
class StallingTransport extends InProcessTransport {
  stallAt = Infinity;
  override sendBatch(batch: PivotBatch) {
    if (batch.index >= this.stallAt) return new Promise<never>(() => {});
    return super.sendBatch(batch);
  }
}

async function abortAt(planes: PivotPlanes, name: string, point: string, stall = false) {
  const namespace = `capi-${name}`;
  await createFixture(planes.source, namespace, clusterFixture(name, namespace, { workers: 2 }));
  await createLatticeCluster(planes.source, name);
  const before = await snapshot(planes.source, namespace);
  const transport = new StallingTransport(new PivotTarget(planes.target));
  if (stall) transport.stallAt = 2;
  const scope = {
    client: planes.source,
    clusterName: name,
    namespace,
    transport,
    progress: latticeClusterProgressStore(planes.source, name),
  };
  const term = new AbortController();
  let abortedAt = 0;
  const running = runPivot(scope, {
    maxObjects: 4,
    signal: term.signal,
    hook: (p) => {
      if (p !== point || term.signal.aborted) return;
      const abort = () => {
        abortedAt = performance.now();
        term.abort(new Error("SIGTERM"));
      };
      // Shutdown arrives while the step is under way (later, when the child hangs).
      if (stall) setTimeout(abort, 50);
      else abort();
    },
  });
  await assert.rejects(running, /SIGTERM/);
  const stoppedMs = performance.now() - abortedAt;
  assert.ok(abortedAt > 0, `${point} was never reached`);
  assert.ok(stoppedMs < 1_000, `${point}: stopped ${Math.round(stoppedMs)} ms after the abort`);

  const persisted = (await latticeStatus(planes.source, name)).pivot as { phase: string };
  assert.notEqual(persisted.phase, "Done", "an aborted pivot is not reported done");

  // The next leader: fresh agent caches, a fresh call from what is persisted.
  transport.stallAt = Infinity;
  transport.target = new PivotTarget(planes.target);
  const result = await runPivot(scope, { maxObjects: 4 });
  assert.equal(result.done, true, `resumed to ${result.phase}`);
  const after = await snapshot(planes.target, namespace);
  assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
  for (const key of Object.keys(before)) assert.deepEqual(after[key], before[key], key);
  assert.deepEqual(Object.keys(await snapshot(planes.source, namespace)), [], "left on parent");
  const cluster = await planes.target.get<KubeObject>(CLUSTER_REF, name, namespace);
  assert.equal((cluster.spec as { paused?: boolean }).paused, undefined, "left paused");
  assert.equal(cluster.metadata?.labels?.[PIVOT_PAUSED_LABEL], undefined);
}

Deno.test("an aborted pivot stops within 1 s and the next leader resumes it", async (t) => {
  const planes = await startPivotPlanes();
  try {
    await t.step("while batches are in flight", async () => {
      await abortAt(planes, "ab-send", "batch:1:before");
    });
    await t.step("while the child does not answer a batch", async () => {
      await abortAt(planes, "ab-hung", "batch:2:before", true);
    });
    await t.step("while the source is being deleted", async () => {
      await abortAt(planes, "ab-delete", "delete:3");
    });
    await t.step("right after pausing", async () => {
      await abortAt(planes, "ab-pause", "pause:after");
    });
  } finally {
    await planes.stop();
  }
});
