/**
 * For every provider × bootstrap flavour Lattice generates, the CAPI simulator plays the
 * generated objects (infrastructure machines of the provider's kind, KubeadmConfigs or
 * RKE2Configs) and the REAL `clusterctl move --dry-run` lists exactly the objects Lattice's
 * pivot graph discovery lists, owners first in both.
 *
 * The simulated clusters share one bare plane for their Nodes (what each cluster's own plane
 * holds is not under test here), so the matrix stays quick.
 */
import assert from "node:assert/strict";
import { PROVIDERS } from "../../lib/api/mod.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { discoverMoveGraph } from "../../lib/pivot/mod.ts";
import {
  CapiSimulator,
  CLUSTER_API_CRD_SETS,
  CLUSTERCTL_CRD_SET,
  type ControlPlane,
  labelProviderCrds,
  startControlPlane,
} from "../../lib/sandbox/mod.ts";
import { MATRIX, providerCluster } from "../capi/fixtures.ts";
import { withControlPlane } from "./_plane.ts";
import { applyGenerated, clusterctl, parseMoveDryRun } from "./_capi_sim.ts";

const FOLDERS: Record<string, string> = {
  aws: "cluster-api-provider-aws-v2.11.1",
  openstack: "cluster-api-provider-openstack-v0.14.7",
  proxmox: "cluster-api-provider-proxmox-v0.9.0",
  gcp: "cluster-api-provider-gcp-v1.12.0",
  azure: "cluster-api-provider-azure-v1.26.0",
};

/** Each provider's cluster, machine and machine-template CRDs, and CAPRKE2's. */
const PROVIDER_CRDS = [
  "cluster-api-provider-rke2-v0.25.0",
  ...PROVIDERS.filter((p) => p !== "docker").flatMap((p) =>
    ["clusters", "machines", "machinetemplates"].map((plural) =>
      `${FOLDERS[p]}/infrastructure.cluster.x-k8s.io_${p}${plural}.yaml`
    )
  ),
];

type Spec = Record<string, unknown>;

Deno.test("clusterctl move --dry-run lists Lattice's pivot graph for every provider", async (t) => {
  await withControlPlane(t, async (plane) => {
    await labelProviderCrds(plane.kubeconfig);
    const nodes = await startControlPlane({ name: "sim-nodes" });
    const shared: ControlPlane = { ...nodes, stop: () => Promise.resolve() };
    const mgmt = KubeClient.fromKubeconfig(plane.kubeconfig);
    const sim = new CapiSimulator({ startPlane: () => Promise.resolve(shared) });
    try {
      sim.watchPlane("mgmt", KubeClient.fromKubeconfig(plane.kubeconfig));
      const machineRef = await mgmt.resourceFor("cluster.x-k8s.io/v1beta2", "Machine");
      for (const { provider, bootstrap } of MATRIX) {
        await t.step(`${provider} with ${bootstrap}`, async () => {
          const name = `${provider}-${bootstrap}`;
          const cluster = providerCluster(provider, {
            name,
            bootstrap,
            controlPlane: 1,
            workers: 2,
          });
          const { namespace } = await applyGenerated(mgmt, cluster);
          for (let pass = 0;; pass++) {
            assert.ok(pass < 60, `the simulator provisions ${name}`);
            await sim.tick();
            const machines = (await mgmt.list<KubeObject>(machineRef, { namespace })).items;
            if (
              machines.length === 3 &&
              machines.every((m) => (m.status as Spec | undefined)?.nodeRef)
            ) break;
          }
          const moved = parseMoveDryRun(
            await clusterctl(plane, ["move", "--dry-run", "-n", namespace, "-v", "1"]),
          );
          const graph = await discoverMoveGraph(mgmt, { name, namespace });
          const lattice = graph.nodes.map((n) => `${n.identity.kind}/${n.identity.name}`);
          assert.deepEqual([...moved].sort(), [...lattice].sort());
          // 7 generated objects, 5 cluster Secrets, the MachineSet, 4 per Machine; CAPZ
          // writes an azure-json Secret per machine template.
          const extra = provider === "azure" ? 2 : 0;
          assert.equal(lattice.length, 7 + 5 + 1 + 4 * 3 + extra, lattice.join(" "));
          const kinds = new Set(lattice.map((k) => k.split("/")[0]));
          assert.ok(kinds.has(bootstrap === "rke2" ? "RKE2Config" : "KubeadmConfig"));
          const infraMachine = provider === "docker"
            ? "DevMachine"
            : [...kinds].find((k) => k.toLowerCase() === `${provider}machine`);
          assert.ok(infraMachine && kinds.has(infraMachine), `${provider} machines: ${[...kinds]}`);
          const level = new Map(graph.nodes.map((n) => [n.uid, n.level]));
          const keyOf = new Map(
            graph.nodes.map((n) => [n.uid, `${n.identity.kind}/${n.identity.name}`]),
          );
          for (const n of graph.nodes) {
            const dependent = `${n.identity.kind}/${n.identity.name}`;
            for (const ref of n.object.metadata?.ownerReferences ?? []) {
              const owner = keyOf.get(ref.uid);
              assert.ok(owner, `${dependent}'s owner ${ref.kind}/${ref.name} moves too`);
              assert.ok(level.get(ref.uid)! < n.level, `Lattice: ${owner} before ${dependent}`);
              assert.ok(moved.indexOf(owner) < moved.indexOf(dependent), `clusterctl: ${owner}`);
            }
          }
        });
      }
    } finally {
      await sim.stop();
      mgmt.close();
      await nodes.stop();
    }
  }, {
    crds: { upstream: [...CLUSTER_API_CRD_SETS, CLUSTERCTL_CRD_SET, ...PROVIDER_CRDS] },
  });
});
