/**
 * The CAPI simulator's object graph, checked object by object against what Cluster API
 * v1.14's controllers leave and with the REAL clusterctl v1.14.0 as a client:
 * `clusterctl describe cluster` groups the Machines under the control plane and the
 * MachineSet; `clusterctl move --dry-run` lists exactly what Lattice's pivot graph lists,
 * in an order that honours the same owner constraints; scaling and upgrades leave the
 * MachineSet history the real MachineDeployment controller would.
 */
import assert from "node:assert/strict";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { discoverMoveGraph } from "../../lib/pivot/mod.ts";
import {
  CapiSimulator,
  CLUSTER_API_CRD_SETS,
  CLUSTERCTL_CRD_SET,
  labelProviderCrds,
} from "../../lib/sandbox/mod.ts";
import { providerCluster } from "../capi/fixtures.ts";
import { clusterFixture, withFakeUids } from "../pivot/fixtures.ts";
import { withControlPlane } from "./_plane.ts";
import { applyGenerated, clusterctl, describeParents, parseMoveDryRun } from "./_capi_sim.ts";

const CAPI = "cluster.x-k8s.io/v1beta2";
type Spec = Record<string, unknown>;

async function list(client: KubeClient, apiVersion: string, kind: string, namespace: string) {
  const ref = await client.resourceFor(apiVersion, kind);
  return (await client.list<KubeObject>(ref, { namespace })).items;
}

function controller(o: KubeObject) {
  return (o.metadata?.ownerReferences ?? []).find((r) => r.controller);
}

/** Kinds, owner kinds (`*` = controller), finalizers and Secret types: a graph's shape. */
function shape(objects: readonly KubeObject[]): string[] {
  return objects.map((o) => {
    const owners = (o.metadata?.ownerReferences ?? [])
      .map((r) => `${r.kind}${r.controller ? "*" : ""}`).sort().join("+");
    const type = (o as { type?: string }).type;
    return `${o.kind}<${owners}>[${(o.metadata?.finalizers ?? []).join(",")}]${type ?? ""}`;
  }).sort();
}

/** Steps the simulator until `done` holds (each pass is one reconcile of every object). */
async function stepUntil(sim: CapiSimulator, what: string, done: () => Promise<boolean>) {
  for (let pass = 0; pass < 60; pass++) {
    await sim.tick();
    if (await done()) return;
  }
  throw new Error(`the simulator never reached: ${what}`);
}

Deno.test("the simulated CAPI object graph is what clusterctl v1.14 sees", async (t) => {
  await withControlPlane(t, async (plane) => {
    await labelProviderCrds(plane.kubeconfig);
    const mgmt = KubeClient.fromKubeconfig(plane.kubeconfig);
    const sim = new CapiSimulator();
    try {
      const cluster = providerCluster("docker", { name: "wl", controlPlane: 1, workers: 2 });
      const { namespace } = await applyGenerated(mgmt, cluster);
      sim.watchPlane("mgmt", KubeClient.fromKubeconfig(plane.kubeconfig));
      const machinesOf = () => list(mgmt, CAPI, "Machine", namespace);
      await stepUntil(sim, "3 running machines", async () => {
        const ms = await machinesOf();
        return ms.length === 3 && ms.every((m) => (m.status as Spec | undefined)?.nodeRef);
      });

      await t.step("each Machine carries what CAPI's controllers put around it", async () => {
        const machines = await machinesOf();
        const byKind = async (apiVersion: string, kind: string) =>
          new Map(
            (await list(mgmt, apiVersion, kind, namespace)).map((o) => [o.metadata!.name!, o]),
          );
        const infra = await byKind("infrastructure.cluster.x-k8s.io/v1beta2", "DevMachine");
        const configs = await byKind("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig");
        const secrets = await byKind("v1", "Secret");
        const sets = await byKind(CAPI, "MachineSet");
        assert.equal(sets.size, 1);
        const [set] = sets.values();
        assert.equal(controller(set)?.kind, "MachineDeployment");
        assert.match(set.metadata!.labels!["machine-template-hash"], /^\d+-[a-z0-9]{5}$/);
        assert.equal(set.metadata!.labels!["cluster.x-k8s.io/deployment-name"], "wl-md-0");
        assert.deepEqual(set.metadata!.finalizers, ["cluster.x-k8s.io/machineset"]);
        for (const m of machines) {
          const name = m.metadata!.name!;
          const labels = m.metadata!.labels!;
          assert.equal(labels["cluster.x-k8s.io/cluster-name"], "wl");
          assert.deepEqual(m.metadata!.finalizers, ["machine.cluster.x-k8s.io"]);
          if ("cluster.x-k8s.io/control-plane" in labels) {
            assert.equal(controller(m)?.kind, "KubeadmControlPlane");
            assert.equal(labels["cluster.x-k8s.io/control-plane-name"], "wl-control-plane");
          } else {
            assert.equal(controller(m)?.kind, "MachineSet");
            assert.equal(controller(m)?.name, set.metadata!.name);
            assert.equal(labels["cluster.x-k8s.io/set-name"], set.metadata!.name);
            assert.equal(labels["cluster.x-k8s.io/deployment-name"], "wl-md-0");
          }
          for (const child of [infra.get(name), configs.get(name)]) {
            assert.ok(child, `${name} has its DevMachine and KubeadmConfig`);
            assert.deepEqual(child.metadata!.ownerReferences!.map((r) => r.uid), [m.metadata!.uid]);
            assert.equal(controller(child)?.kind, "Machine");
          }
          assert.deepEqual(infra.get(name)!.metadata!.finalizers, [
            "dockermachine.infrastructure.cluster.x-k8s.io",
          ]);
          assert.match(
            infra.get(name)!.metadata!.annotations!["cluster.x-k8s.io/cloned-from-name"],
            /^wl-(control-plane|md-0)-/,
          );
          const data = secrets.get(name)!;
          assert.equal(data.type, "cluster.x-k8s.io/secret");
          assert.equal(controller(data)?.uid, configs.get(name)!.metadata!.uid);
          assert.equal((m.spec as Spec).infrastructureRef && (m.status as Spec).phase, "Running");
        }
        const kcp = (await list(
          mgmt,
          "controlplane.cluster.x-k8s.io/v1beta2",
          "KubeadmControlPlane",
          namespace,
        ))[0];
        for (const purpose of ["ca", "etcd", "sa", "proxy", "kubeconfig"]) {
          const secret = secrets.get(`wl-${purpose}`)!;
          assert.equal(secret.type, "cluster.x-k8s.io/secret", purpose);
          assert.equal(controller(secret)?.uid, kcp.metadata!.uid, purpose);
        }
      });

      await t.step(
        "clusterctl's inventory lists the providers as clusterctl init does",
        async () => {
          const providers: string[] = [];
          for (
            const ns of [
              "capi-system",
              "capi-kubeadm-bootstrap-system",
              "capi-kubeadm-control-plane-system",
              "capd-system",
            ]
          ) {
            for (
              const p of await list(mgmt, "clusterctl.cluster.x-k8s.io/v1alpha3", "Provider", ns)
            ) {
              providers.push(
                `${ns}/${p.metadata!.name}:${(p as Spec).type}:${(p as Spec).version}`,
              );
            }
          }
          assert.deepEqual(providers, [
            "capi-system/cluster-api:CoreProvider:v1.14.0",
            "capi-kubeadm-bootstrap-system/bootstrap-kubeadm:BootstrapProvider:v1.14.0",
            "capi-kubeadm-control-plane-system/control-plane-kubeadm:ControlPlaneProvider:v1.14.0",
            "capd-system/infrastructure-docker:InfrastructureProvider:v1.14.0",
          ]);
        },
      );

      await t.step("clusterctl describe groups Machines under KCP and the MachineSet", async () => {
        const text = await clusterctl(plane, [
          "describe",
          "cluster",
          "wl",
          "-n",
          namespace,
          "--show-machinesets",
          "--grouping=false",
          "--echo",
        ]);
        const parents = describeParents(text);
        const machines = await machinesOf();
        const [set] = await list(mgmt, CAPI, "MachineSet", namespace);
        assert.equal(parents.get(`MachineSet/${set.metadata!.name}`), "MachineDeployment/wl-md-0");
        assert.equal(parents.get("KubeadmControlPlane/wl-control-plane"), "Cluster/wl");
        for (const m of machines) {
          const expected = "cluster.x-k8s.io/control-plane" in m.metadata!.labels!
            ? "KubeadmControlPlane/wl-control-plane"
            : `MachineSet/${set.metadata!.name}`;
          assert.equal(parents.get(`Machine/${m.metadata!.name}`), expected, text);
          assert.equal(
            parents.get(`DevMachine/${m.metadata!.name}`),
            `Machine/${m.metadata!.name}`,
          );
          assert.equal(
            parents.get(`KubeadmConfig/${m.metadata!.name}`),
            `Machine/${m.metadata!.name}`,
          );
        }
      });

      await t.step("clusterctl move --dry-run lists exactly Lattice's pivot graph", async () => {
        const moved = parseMoveDryRun(
          await clusterctl(plane, ["move", "--dry-run", "-n", namespace, "-v", "1"]),
        );
        const graph = await discoverMoveGraph(mgmt, { name: "wl", namespace });
        const lattice = graph.nodes.map((n) => `${n.identity.kind}/${n.identity.name}`);
        assert.deepEqual([...moved].sort(), [...lattice].sort());
        assert.equal(new Set(moved).size, moved.length);
        // Same order constraints: every owner (by ownerReference) comes first in both.
        const level = new Map(graph.nodes.map((n) => [n.uid, n.level]));
        const keyOf = new Map(
          graph.nodes.map((n) => [n.uid, `${n.identity.kind}/${n.identity.name}`]),
        );
        let edges = 0;
        for (const n of graph.nodes) {
          for (const ref of n.object.metadata?.ownerReferences ?? []) {
            if (!level.has(ref.uid)) continue;
            edges++;
            const owner = keyOf.get(ref.uid)!;
            const dependent = `${n.identity.kind}/${n.identity.name}`;
            assert.ok(level.get(ref.uid)! < n.level, `Lattice: ${owner} before ${dependent}`);
            assert.ok(
              moved.indexOf(owner) < moved.indexOf(dependent),
              `clusterctl: ${owner} first`,
            );
          }
        }
        assert.ok(edges >= moved.length - 3, `the graph is linked (${edges} owner edges)`);
      });

      await t.step("the pivot tests' and bench's fixture has the simulator's shape", async () => {
        const graph = await discoverMoveGraph(mgmt, { name: "wl", namespace });
        const fixture = withFakeUids(clusterFixture("wl", namespace, { workers: 2 }));
        assert.deepEqual(shape(fixture), shape(graph.nodes.map((n) => n.object)));
      });

      const sets = async () =>
        (await list(mgmt, CAPI, "MachineSet", namespace)).map((s) => ({
          name: s.metadata!.name!,
          replicas: Number((s.spec as Spec).replicas),
          revision: s.metadata!.annotations!["machinedeployment.clusters.x-k8s.io/revision"],
        })).sort((a, b) => a.revision.localeCompare(b.revision));
      const mdRef = await mgmt.resourceFor(CAPI, "MachineDeployment");
      const workerCount = async () =>
        (await machinesOf()).filter((m) =>
          !("cluster.x-k8s.io/control-plane" in m.metadata!.labels!)
        )
          .length;

      await t.step("scaling 2 → 5 → 3 resizes the one MachineSet", async () => {
        const [before] = await sets();
        for (const replicas of [5, 3]) {
          await mgmt.patch(mdRef, "wl-md-0", { spec: { replicas } }, { namespace });
          await stepUntil(
            sim,
            `${replicas} workers`,
            async () => (await workerCount()) === replicas,
          );
          assert.deepEqual(await sets(), [{ ...before, replicas }]);
        }
      });

      await t.step("an upgrade rolls to a new MachineSet and scales the old one down", async () => {
        const [old] = await sets();
        const md = await mgmt.get<KubeObject>(mdRef, "wl-md-0", namespace);
        const template = structuredClone((md.spec as Spec).template as { spec: Spec });
        template.spec.version = "v1.32.0";
        await mgmt.patch(mdRef, "wl-md-0", { spec: { template } }, { namespace });
        const history: string[] = [];
        await stepUntil(sim, "the rollout", async () => {
          const now = await sets();
          history.push(
            now.map((s) => `${s.name === old.name ? "old" : "new"}=${s.replicas}`).join(","),
          );
          const workers = await workerCount();
          assert.ok(workers >= 3 && workers <= 4, `maxSurge 1, maxUnavailable 0: ${workers}`);
          return now.length === 1 && now[0].name !== old.name && now[0].replicas === 3;
        });
        assert.deepEqual(history, ["old=2,new=1", "old=1,new=2", "new=3"]);
        const [current] = await sets();
        assert.equal(current.revision, "2");
        const versions = (await machinesOf())
          .filter((m) => m.metadata!.labels!["cluster.x-k8s.io/set-name"] === current.name)
          .map((m) => (m.spec as Spec).version);
        assert.deepEqual(versions, ["v1.32.0", "v1.32.0", "v1.32.0"]);
      });
      await t.step("a control-plane upgrade replaces the Machine, surging by one", async () => {
        const cpMachines = async () =>
          (await machinesOf()).filter((m) =>
            "cluster.x-k8s.io/control-plane" in m.metadata!.labels!
          );
        const [old] = await cpMachines();
        const kcpRef = await mgmt.resourceFor(
          "controlplane.cluster.x-k8s.io/v1beta2",
          "KubeadmControlPlane",
        );
        await mgmt.patch(kcpRef, "wl-control-plane", { spec: { version: "v1.32.0" } }, {
          namespace,
        });
        await stepUntil(sim, "the control-plane rollout", async () => {
          const now = await cpMachines();
          assert.ok(now.length >= 1 && now.length <= 2, `maxSurge 1: ${now.length}`);
          return now.length === 1 && now[0].metadata!.name !== old.metadata!.name;
        });
        const [current] = await cpMachines();
        assert.equal((current.spec as Spec).version, "v1.32.0");
        assert.equal(controller(current)?.kind, "KubeadmControlPlane");
        const configs = await list(
          mgmt,
          "bootstrap.cluster.x-k8s.io/v1beta2",
          "KubeadmConfig",
          namespace,
        );
        assert.ok(!configs.some((c) => c.metadata!.name === old.metadata!.name), "old config gone");
      });
      await t.step("deleting the MachineDeployment removes its sets and machines", async () => {
        await mgmt.delete(mdRef, "wl-md-0", namespace);
        await stepUntil(sim, "the deployment gone", async () => {
          const left = await mgmt.list<KubeObject>(mdRef, { namespace });
          return left.items.length === 0 && (await workerCount()) === 0;
        });
        assert.deepEqual(await sets(), []);
        const infra = await list(
          mgmt,
          "infrastructure.cluster.x-k8s.io/v1beta2",
          "DevMachine",
          namespace,
        );
        assert.equal(infra.length, 1, "only the control plane's DevMachine is left");
      });
    } finally {
      await sim.stop();
      mgmt.close();
    }
  }, { crds: { upstream: [...CLUSTER_API_CRD_SETS, CLUSTERCTL_CRD_SET] } });
});
