/**
 * The pivot of the FULL graph the CAPI simulator leaves (MachineSets, per-machine
 * DevMachines, KubeadmConfigs and bootstrap Secrets, KCP-owned Machines and cluster
 * Secrets) from a parent plane into the cluster's own plane: every object arrives with its
 * ownerReferences resolving to the moved owners (checked object by object), the simulator
 * adopts the moved graph on the child without recreating anything, and the REAL clusterctl
 * describes the pivoted cluster with its control plane and MachineSet grouping.
 */
import assert from "node:assert/strict";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import {
  discoverMoveGraph,
  InProcessTransport,
  latticeClusterProgressStore,
  PivotTarget,
  runPivot,
} from "../../lib/pivot/mod.ts";
import {
  CapiSimulator,
  CLUSTER_API_CRD_SETS,
  CLUSTERCTL_CRD_SET,
  labelProviderCrds,
} from "../../lib/sandbox/mod.ts";
import { providerCluster } from "../capi/fixtures.ts";
import { createLatticeCluster, snapshot } from "../pivot/live.ts";
import { withControlPlane } from "./_plane.ts";
import { applyGenerated, clusterctl, describeParents } from "./_capi_sim.ts";

type Spec = Record<string, unknown>;

function pick(all: Record<string, KubeObject>, keys: string[]): Record<string, KubeObject> {
  return Object.fromEntries(keys.map((k) => [k, all[k]]));
}

Deno.test("the simulator's full graph pivots into the cluster's own plane", async (t) => {
  await withControlPlane(t, async (plane) => {
    await labelProviderCrds(plane.kubeconfig);
    const parent = KubeClient.fromKubeconfig(plane.kubeconfig);
    const sim = new CapiSimulator();
    try {
      const cluster = providerCluster("docker", { name: "pv", controlPlane: 1, workers: 3 });
      const { namespace } = await applyGenerated(parent, cluster);
      await createLatticeCluster(parent, "pv");
      sim.watchPlane("parent", KubeClient.fromKubeconfig(plane.kubeconfig));
      const machineRef = await parent.resourceFor("cluster.x-k8s.io/v1beta2", "Machine");
      const running = async (client: KubeClient) => {
        const items = (await client.list<KubeObject>(machineRef, { namespace })).items;
        return items.filter((m) => (m.status as Spec | undefined)?.nodeRef).map((m) =>
          m.metadata!.name!
        ).sort();
      };
      for (let pass = 0; (await running(parent)).length < 4; pass++) {
        assert.ok(pass < 60, "the simulator provisions 4 machines");
        await sim.tick();
      }
      const machines = await running(parent);
      const child = sim.clusters.get("pv")!;

      const graph = await discoverMoveGraph(parent, { name: "pv", namespace });
      const keys = graph.nodes.map((n) => `${n.identity.kind}/${n.identity.name}`);
      // 7 generated objects + 5 cluster Secrets + the MachineSet + 4 per Machine.
      assert.equal(keys.length, 7 + 5 + 1 + 4 * 4, keys.join(" "));
      const before = pick(await snapshot(parent, namespace), keys);

      await t.step("the pivot keeps every object and owner link", async () => {
        const result = await runPivot({
          client: parent,
          clusterName: "pv",
          namespace,
          transport: new InProcessTransport(new PivotTarget(child.client)),
          progress: latticeClusterProgressStore(parent, "pv"),
        }, { maxObjects: 8 });
        assert.equal(result.done, true, `phase ${result.phase}`);
        const after = await snapshot(child.client, namespace);
        for (const key of keys) {
          assert.ok(after[key], `${key} reached the child`);
          assert.deepEqual(after[key], before[key], key);
          for (const ref of after[key].metadata?.ownerReferences ?? []) {
            assert.notEqual(ref.uid, "?", `${key} → ${ref.kind}/${ref.name} resolves on the child`);
          }
        }
        const left = Object.keys(await snapshot(parent, namespace)).filter((k) => keys.includes(k));
        assert.deepEqual(left, [], "nothing of the graph is left on the parent");
      });

      await t.step("the simulator adopts the moved graph on the child", async () => {
        sim.unwatchPlane("parent");
        for (let pass = 0; pass < 3; pass++) await sim.tick();
        assert.deepEqual(await running(child.client), machines, "no Machine was recreated");
        const again = await discoverMoveGraph(child.client, { name: "pv", namespace });
        assert.deepEqual(
          again.nodes.map((n) => `${n.identity.kind}/${n.identity.name}`).sort(),
          [...keys].sort(),
        );
      });

      await t.step("clusterctl describes the pivoted cluster with its grouping", async () => {
        const text = await clusterctl(child.plane, [
          "describe",
          "cluster",
          "pv",
          "-n",
          namespace,
          "--show-machinesets",
          "--grouping=false",
        ]);
        const parents = describeParents(text);
        const setKey = keys.find((k) => k.startsWith("MachineSet/"))!;
        assert.equal(parents.get(setKey), "MachineDeployment/pv-md-0", text);
        for (const m of machines) {
          assert.equal(
            parents.get(`Machine/${m}`),
            m.startsWith("pv-control-plane-") ? "KubeadmControlPlane/pv-control-plane" : setKey,
            text,
          );
        }
      });
    } finally {
      await sim.stop();
      parent.close();
    }
  }, { crds: { lattice: true, upstream: [...CLUSTER_API_CRD_SETS, CLUSTERCTL_CRD_SET] } });
});
