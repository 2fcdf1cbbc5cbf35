/**
 * The pivot between two real control planes (etcd + kube-apiserver with the real Cluster
 * API v1.14 CRDs), through the in-process transport: object-by-object fidelity, a crash of
 * the cell or the agent at every step boundary, rollback on timeout, block-move, cycles.
 */
import assert from "node:assert/strict";
import type { KubeClient } from "../../lib/kube/client.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import {
  InProcessTransport,
  latticeClusterProgressStore,
  PIVOT_PAUSED_LABEL,
  PivotTarget,
  runPivot,
  type RunPivotOptions,
} from "../../lib/pivot/mod.ts";
import { clusterFixture, type FixtureObject } from "../pivot/fixtures.ts";
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

interface Scenario {
  name: string;
  fixture?: FixtureObject[];
  /** Cell crash: the runPivot hook throws once at this point. */
  cellFault?: string;
  /** Agent crash / lost message: the transport throws once at this point. */
  agentFault?: string;
}

async function prepare(planes: PivotPlanes, s: Scenario) {
  const namespace = `capi-${s.name}`;
  await createFixture(
    planes.source,
    namespace,
    s.fixture ?? clusterFixture(s.name, namespace, { workers: 1 }),
  );
  await createLatticeCluster(planes.source, s.name);
  let agentFired = false;
  const transport = new InProcessTransport(new PivotTarget(planes.target), {
    fault: (point) => point === s.agentFault && !agentFired && (agentFired = true),
  });
  const scope = {
    client: planes.source,
    clusterName: s.name,
    namespace,
    transport,
    progress: latticeClusterProgressStore(planes.source, s.name),
  };
  return { namespace, transport, scope, before: await snapshot(planes.source, namespace) };
}

async function assertNotPaused(client: KubeClient, namespace: string, name: string) {
  const cluster = await client.get<KubeObject>(CLUSTER_REF, name, namespace);
  assert.equal((cluster.spec as { paused?: boolean }).paused, undefined, `${name} is paused`);
  assert.equal(cluster.metadata?.labels?.[PIVOT_PAUSED_LABEL], undefined);
}

/** The child holds exactly the source's objects (owner links included); the parent none. */
async function assertMoved(
  planes: PivotPlanes,
  namespace: string,
  name: string,
  before: Record<string, KubeObject>,
) {
  const after = await snapshot(planes.target, namespace);
  assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
  for (const key of Object.keys(before)) assert.deepEqual(after[key], before[key], key);
  assert.deepEqual(
    Object.keys(await snapshot(planes.source, namespace)),
    [],
    "objects left on the parent",
  );
  await assertNotPaused(planes.target, namespace, name);
}

async function runScenario(planes: PivotPlanes, s: Scenario, options: RunPivotOptions = {}) {
  const { namespace, transport, scope, before } = await prepare(planes, s);
  let cellFired = false;
  const hook = (point: string) => {
    if (point === s.cellFault && !cellFired) {
      cellFired = true;
      throw new Error(`injected crash at ${point}`);
    }
  };
  if (s.cellFault || s.agentFault) {
    await assert.rejects(runPivot(scope, { maxObjects: 6, ...options, hook }), /injected/);
    assert.ok(cellFired || s.agentFault, `cell fault ${s.cellFault} never reached`);
    // Both sides restart: a fresh agent (empty caches), a fresh run from persisted progress.
    transport.target = new PivotTarget(planes.target);
  }
  const result = await runPivot(scope, { maxObjects: 6, ...options });
  assert.equal(result.done, true, `phase ${result.phase}`);
  await assertMoved(planes, namespace, s.name, before);
  const status = await latticeStatus(planes.source, s.name);
  assert.equal((status.pivot as { phase: string }).phase, "Done");
  const conditions = status.conditions as { type: string; status: string }[];
  assert.equal(conditions.find((c) => c.type === "Pivoted")?.status, "True");
}

const CELL_FAULTS = [
  "pause:before",
  "pause:after",
  ...[0, 1, 2, 3].flatMap((i) => [`batch:${i}:before`, `batch:${i}:acked`, `batch:${i}:after`]),
  "complete:before",
  "complete:acked",
  "delete:before",
  "delete:0",
  "delete:11",
  "delete:20",
  "done:before",
];
const AGENT_FAULTS = [
  "batch:0:before",
  "batch:2:before",
  "batch:0:after",
  "batch:3:after",
  "complete:before",
  "complete:after",
];

Deno.test("pivot between two real control planes", async (t) => {
  const planes = await startPivotPlanes();
  try {
    await t.step("a 25-object cluster moves with UID and ownerReference fidelity", async () => {
      const fixture = clusterFixture("alpha", "capi-alpha");
      assert.equal(fixture.length, 25);
      await runScenario(planes, { name: "alpha", fixture });
    });

    await t.step("the cell crashes at every step boundary and resumes", async () => {
      for (const [i, cellFault] of CELL_FAULTS.entries()) {
        await runScenario(planes, { name: `cell-${i}`, cellFault });
      }
    });

    await t.step("the agent fails at every step boundary and the cell retries", async () => {
      for (const [i, agentFault] of AGENT_FAULTS.entries()) {
        await runScenario(planes, { name: `agent-${i}`, agentFault });
      }
    });

    await t.step("a timeout rolls back, then a new attempt completes", async () => {
      const s = { name: "late", agentFault: "batch:1:before" };
      const { namespace, scope, before } = await prepare(planes, s);
      let clock = Date.parse("2026-01-01T00:00:00Z");
      const now = () => new Date(clock);
      await assert.rejects(runPivot(scope, { maxObjects: 6, now }), /injected fault/);
      const child = await snapshot(planes.target, namespace);
      assert.ok(Object.keys(child).length > 0, "batch 0 reached the child");
      clock += 16 * 60_000;
      const rolled = await runPivot(scope, { maxObjects: 6, now });
      assert.equal(rolled.done, false);
      assert.equal(rolled.phase, "Aborted");
      assert.equal(rolled.condition?.reason, "PivotRolledBack");
      assert.deepEqual(
        await snapshot(planes.source, namespace),
        before,
        "source restored and unpaused",
      );
      assert.deepEqual(await snapshot(planes.target, namespace), {}, "child copies deleted");
      const status = await latticeStatus(planes.source, s.name);
      const pivoted = (status.conditions as { type: string; reason: string }[]).find((c) =>
        c.type === "Pivoted"
      );
      assert.equal(pivoted?.reason, "PivotRolledBack");
      const again = await runPivot(scope, { maxObjects: 6, now });
      assert.equal(again.done, true);
      assert.notEqual(again.pivotId, rolled.pivotId);
      await assertMoved(planes, namespace, s.name, before);
    });

    await t.step("block-move holds the pivot until it is removed", async () => {
      const fixture = clusterFixture("held", "capi-held", { workers: 1 });
      const machine = fixture.find((f) => f.object.kind === "DevMachine")!;
      machine.object.metadata!.annotations = { "clusterctl.cluster.x-k8s.io/block-move": "" };
      const { namespace, scope, before } = await prepare(planes, { name: "held", fixture });
      const blocked = await runPivot(scope);
      assert.equal(blocked.done, false);
      assert.equal(blocked.phase, "Pausing");
      assert.ok(blocked.requeueAfterMs! > 0);
      const cluster = await planes.source.get<KubeObject>(CLUSTER_REF, "held", namespace);
      assert.equal(
        (cluster.spec as { paused?: boolean }).paused,
        true,
        "source paused while waiting",
      );
      const ref = await planes.source.resourceFor(machine.object.apiVersion!, "DevMachine");
      await planes.source.patch(ref, machine.object.metadata!.name!, {
        metadata: { annotations: { "clusterctl.cluster.x-k8s.io/block-move": null } },
      }, { namespace });
      delete before[`DevMachine/${machine.object.metadata!.name}`].metadata!.annotations;
      assert.equal((await runPivot(scope)).done, true);
      await assertMoved(planes, namespace, "held", before);
    });

    await t.step(
      "an ownership cycle is refused with the list; the source is unpaused",
      async () => {
        const { namespace, scope } = await prepare(planes, { name: "loop" });
        const cm = await planes.source.resourceFor("v1", "ConfigMap");
        const a = await planes.source.create<KubeObject>({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "loop-a", namespace },
        });
        const b = await planes.source.create<KubeObject>({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: "loop-b",
            namespace,
            ownerReferences: [{
              apiVersion: "v1",
              kind: "ConfigMap",
              name: "loop-a",
              uid: a.metadata!.uid!,
            }],
          },
        });
        const cluster = await planes.source.get<KubeObject>(CLUSTER_REF, "loop", namespace);
        await planes.source.patch(cm, "loop-a", {
          metadata: {
            ownerReferences: [
              {
                apiVersion: CLUSTER_REF.group + "/v1beta2",
                kind: "Cluster",
                name: "loop",
                uid: cluster.metadata!.uid!,
              },
              { apiVersion: "v1", kind: "ConfigMap", name: "loop-b", uid: b.metadata!.uid! },
            ],
          },
        }, { namespace });
        const result = await runPivot(scope);
        assert.equal(result.done, false);
        assert.equal(result.phase, "Aborted");
        assert.match(
          result.condition!.message,
          /ownership cycle among: ConfigMap capi-loop\/loop-a, ConfigMap capi-loop\/loop-b/,
        );
        await assertNotPaused(planes.source, namespace, "loop");
      },
    );
  } finally {
    await planes.stop();
  }
});
