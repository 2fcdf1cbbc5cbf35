/**
 * The pivot over the real agent stream: two real control planes with the Cluster API v1.14
 * CRDs, the cell's gRPC server with mTLS, and the child's AgentClient whose handler table
 * holds pivotHandlers. The same end state as the in-process pivot test, and an agent whose
 * connection drops after applying a batch (its ack lost) that completes after reconnecting.
 */
import assert from "node:assert/strict";
import { AgentClient } from "../../lib/agent/mod.ts";
import { KubeClient } from "../../lib/kube/client.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import {
  discoverMoveTypes,
  latticeClusterProgressStore,
  PIVOT_PAUSED_LABEL,
  type PivotBatch,
  pivotHandlers,
  PivotTarget,
  type PivotTargetApi,
  runPivot,
  StreamTransport,
} from "../../lib/pivot/mod.ts";
import {
  CLUSTER_API_CRD_SETS,
  type ControlPlane,
  labelProviderCrds,
  startControlPlane,
} from "../../lib/sandbox/mod.ts";
import { issueAgent, startCell, testPki, whenConnected } from "../agent/_fixtures.ts";
import { clusterFixture, type FixtureObject } from "../pivot/fixtures.ts";
import { createFixture, createLatticeCluster, latticeStatus, snapshot } from "../pivot/live.ts";

const CHILD = "child-1";
const CLUSTER_REF = {
  group: "cluster.x-k8s.io",
  version: "v1beta2",
  plural: "clusters",
  kind: "Cluster",
  namespaced: true,
};

/** Labels the CAPI CRDs and waits out the 503s of their re-created storage. */
async function labelAndWait(plane: ControlPlane, client: KubeClient): Promise<void> {
  await labelProviderCrds(plane.kubeconfig);
  for (const type of await discoverMoveTypes(client)) {
    for (let attempt = 0;; attempt++) {
      try {
        await client.list(type.ref, { limit: 1 });
        break;
      } catch (error) {
        if (attempt >= 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** The child holds exactly the source's objects, unpaused; the parent none; status Done. */
async function assertMoved(
  source: KubeClient,
  target: KubeClient,
  name: string,
  before: Record<string, KubeObject>,
): Promise<void> {
  const namespace = `capi-${name}`;
  const after = await snapshot(target, namespace);
  assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
  for (const key of Object.keys(before)) assert.deepEqual(after[key], before[key], key);
  assert.deepEqual(Object.keys(await snapshot(source, namespace)), [], "objects left on parent");
  const cluster = await target.get<KubeObject>(CLUSTER_REF, name, namespace);
  assert.equal((cluster.spec as { paused?: boolean }).paused, undefined, "child Cluster paused");
  assert.equal(cluster.metadata?.labels?.[PIVOT_PAUSED_LABEL], undefined);
  const status = await latticeStatus(source, name);
  assert.equal((status.pivot as { phase: string }).phase, "Done");
  const conditions = status.conditions as { type: string; status: string }[];
  assert.equal(conditions.find((c) => c.type === "Pivoted")?.status, "True");
}

/** Wraps the target so `after(index)` runs once each batch is applied (before its ack). */
function observed(
  after: (index: number) => Promise<void>,
): (real: PivotTarget) => PivotTargetApi {
  return (real) => ({
    async applyBatch(batch: PivotBatch) {
      const ack = await real.applyBatch(batch);
      await after(batch.index);
      return ack;
    },
    complete: (request) => real.complete(request),
    abort: (request) => real.abort(request),
  });
}

Deno.test("the pivot over the real agent stream", async (t) => {
  const planes: ControlPlane[] = [];
  const clients: KubeClient[] = [];
  const agents: AgentClient[] = [];
  let closeCell = async () => {};
  try {
    const [parent, child] = await Promise.all([
      startControlPlane({
        name: "pivot-stream-parent",
        crds: { lattice: true, upstream: [...CLUSTER_API_CRD_SETS] },
      }).then((p) => (planes.push(p), p)),
      startControlPlane({
        name: "pivot-stream-child",
        crds: { upstream: [...CLUSTER_API_CRD_SETS] },
      }).then((p) => (planes.push(p), p)),
    ]);
    const source = KubeClient.fromKubeconfig(parent.kubeconfig);
    const target = KubeClient.fromKubeconfig(child.kubeconfig);
    clients.push(source, target);
    await Promise.all([labelAndWait(parent, source), labelAndWait(child, target)]);

    const pki = await testPki();
    const cell = await startCell(pki);
    closeCell = () => cell.close();
    const credentials = await issueAgent(pki, CHILD);
    /** Starts a fresh agent (empty caches and command memory), as after a restart. */
    const startAgent = async (wrap?: (t: PivotTarget) => PivotTargetApi) => {
      const pivotTarget = new PivotTarget(target);
      const agent = new AgentClient({
        address: cell.address,
        clusterName: CHILD,
        credentials,
        handlers: pivotHandlers(wrap ? wrap(pivotTarget) : pivotTarget),
        backoff: { initialMs: 100, maxMs: 500 },
      });
      agents.push(agent);
      agent.start();
      await whenConnected(cell.registry, CHILD);
      return agent;
    };
    const prepare = async (name: string, fixture?: FixtureObject[], timeoutMs = 3_000) => {
      const namespace = `capi-${name}`;
      await createFixture(source, namespace, fixture ?? clusterFixture(name, namespace));
      await createLatticeCluster(source, name);
      return {
        before: await snapshot(source, namespace),
        scope: {
          client: source,
          clusterName: name,
          namespace,
          transport: new StreamTransport(cell.registry, CHILD, { timeoutMs }),
          progress: latticeClusterProgressStore(source, name),
        },
      };
    };

    await t.step("a 25-object cluster moves over the stream", async () => {
      const agent = await startAgent();
      const fixture = clusterFixture("alpha", "capi-alpha");
      assert.equal(fixture.length, 25);
      const { before, scope } = await prepare("alpha", fixture);
      const result = await runPivot(scope, { maxObjects: 6 });
      assert.equal(result.done, true, `phase ${result.phase}`);
      assert.equal(result.batches, 5);
      await assertMoved(source, target, "alpha", before);
      await agent.stop();
    });

    await t.step(
      "the agent drops after applying a batch, reconnects, and it completes",
      async () => {
        const applied: number[] = [];
        const first: { agent?: AgentClient } = {};
        const dropAfterBatch1 = observed(async (index) => {
          applied.push(index);
          // Applied on the child, but the connection goes before the ack does.
          if (index === 1 && applied.length === 2) await first.agent!.stop();
        });
        first.agent = await startAgent(dropAfterBatch1);
        const { before, scope } = await prepare("beta");
        await assert.rejects(
          runPivot(scope, { maxObjects: 6 }),
          /Cannot send pivot batch 1 on child-1: .*no acknowledgement within 3000 ms/,
        );
        assert.deepEqual(applied, [0, 1]);
        assert.equal(cell.registry.get(CHILD)?.connected, false);
        const progress = await scope.progress.load();
        assert.equal(progress?.phase, "Sending");
        assert.equal(progress?.batchesAcked, 1, "batch 1 was never acknowledged");

        const second = await startAgent();
        const result = await runPivot(scope, { maxObjects: 6 });
        assert.equal(result.done, true, `phase ${result.phase}`);
        await assertMoved(source, target, "beta", before);
        await second.stop();
      },
    );

    await t.step(
      "the agent reconnects before the ack times out: the batch is re-sent, one call completes",
      async () => {
        const applied: string[] = [];
        const first: { agent?: AgentClient } = {};
        const reconnectAfterBatch2 = observed(async (index) => {
          applied.push(`first:${index}`);
          if (index !== 2) return;
          await first.agent!.stop();
          // A new agent process connects; the registry re-sends batch 2 on its stream.
          await startAgent(observed((i) => {
            applied.push(`second:${i}`);
            return Promise.resolve();
          }));
        });
        first.agent = await startAgent(reconnectAfterBatch2);
        const { before, scope } = await prepare("gamma", undefined, 20_000);
        const result = await runPivot(scope, { maxObjects: 6 });
        assert.equal(result.done, true, `phase ${result.phase}`);
        assert.deepEqual(applied, [
          "first:0",
          "first:1",
          "first:2",
          "second:2",
          "second:3",
          "second:4",
        ]);
        await assertMoved(source, target, "gamma", before);
      },
    );
    await t.step(
      "a timeout rolls back over the stream: the child's copies are deleted",
      async () => {
        // The agent of the previous step, or a new one.
        if (!cell.registry.get(CHILD)?.connected) await startAgent();
        const { before, scope } = await prepare("late");
        let clock = Date.parse("2026-01-01T00:00:00Z");
        const now = () => new Date(clock);
        const hook = (point: string) => {
          if (point === "batch:2:before") throw new Error("injected crash");
        };
        await assert.rejects(runPivot(scope, { maxObjects: 6, now, hook }), /injected/);
        assert.ok(Object.keys(await snapshot(target, scope.namespace)).length > 0, "batches sent");
        clock += 16 * 60_000;
        const rolled = await runPivot(scope, { maxObjects: 6, now });
        assert.equal(rolled.phase, "Aborted");
        assert.equal(rolled.condition?.reason, "PivotRolledBack");
        assert.deepEqual(await snapshot(source, scope.namespace), before, "source restored");
        assert.deepEqual(await snapshot(target, scope.namespace), {}, "child copies deleted");
        const again = await runPivot(scope, { maxObjects: 6, now });
        assert.equal(again.done, true, `phase ${again.phase}`);
        await assertMoved(source, target, "late", before);
      },
    );
  } finally {
    for (const agent of agents) await agent.stop();
    await closeCell();
    for (const client of clients) client.close();
    await Promise.all(planes.map((p) => p.stop()));
  }
});
