/**
 * After the pivot, git still drives the child — on real local control planes (only Cluster
 * API's controllers and machines are simulated). Every change is made ONLY on the parent's
 * copy of the child's LatticeCluster (what Flux applies from git):
 *
 * scale and upgrade → the child's own CAPI objects follow and the copy shows the child's
 * counts and version; an edit made on the child is overwritten with a Warning Event; a field
 * fixed at creation is refused on the parent; a change made while the agent is down is
 * delivered when it reconnects (and the copy is marked stale meanwhile); deleting the copy
 * moves the CAPI objects back, tears the child's control plane down and leaves nothing.
 */
import assert from "node:assert/strict";
import {
  exampleClusters,
  inProcessOperator,
  kubectl,
  Sandbox,
  sourceShim,
} from "../../lib/sandbox/mod.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import type { LatticeClusterStatus } from "../../lib/api/mod.ts";
import { LATTICE_CLUSTER, names } from "./_fleet.ts";
import { until } from "../_until.ts";

const CAPI = "cluster.x-k8s.io/v1beta2";
const T = 120_000;

type Lc = KubeObject & { spec: Record<string, unknown>; status?: LatticeClusterStatus };

function condition(lc: Lc | undefined, type: string) {
  return lc?.status?.conditions?.find((c) => c.type === type);
}

function alive(pid: number): boolean {
  try {
    return Deno.statSync(`/proc/${pid}`).isDirectory;
  } catch {
    return false;
  }
}

Deno.test("after the pivot, the parent's copy drives the child", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-gitops-" });
  const log = createLogger({
    level: Deno.env.get("LATTICE_LOG") === "debug" ? "debug" : "warn",
    format: "text",
  });
  const sandbox = await Sandbox.up({
    clusters: exampleClusters(),
    dir,
    logger: log,
    timeoutMs: 300_000,
    startOperator: inProcessOperator({
      binary: await sourceShim(`${dir}/bin`),
      heartbeatIntervalMs: 1_000,
    }),
  });
  const mgmtPlane = sandbox.planeOf("mgmt")!;
  const workloadPlane = sandbox.planeOf("workload")!;
  const parent = KubeClient.fromKubeconfig(mgmtPlane.kubeconfig);
  const child = KubeClient.fromKubeconfig(workloadPlane.kubeconfig);
  const copy = () => parent.get<Lc>(LATTICE_CLUSTER, "workload");
  const own = () => child.get<Lc>(LATTICE_CLUSTER, "workload");
  const mdReplicas = async () => {
    const ref = await child.resourceFor(CAPI, "MachineDeployment");
    const list = await child.list<KubeObject>(ref, { namespace: "capi-workload" });
    return list.items.map((md) => (md.spec as { replicas?: number }).replicas);
  };
  try {
    await t.step("scale: workers 2 → 3 on the parent's copy only", async () => {
      await parent.patch(LATTICE_CLUSTER, "workload", { spec: { nodes: { workers: 3 } } });
      await until("child MachineDeployment at 3", async () => {
        return (await mdReplicas()).includes(3) ? true : undefined;
      }, T);
      const lc = await until("copy shows 4/4 nodes, synced", async () => {
        const lc = await copy();
        return lc.status?.pivoted?.nodes?.total === 4 && lc.status?.nodes?.summary === "4/4" &&
            lc.status?.pivoted?.specSynced === true &&
            condition(lc, "SpecSynced")?.status === "True"
          ? lc
          : undefined;
      }, T);
      assert.equal(lc.status?.pivoted?.phase, "Ready");
      assert.equal(lc.status?.pivoted?.stale, false);
      assert.equal(((await own()).spec.nodes as { workers: number }).workers, 3);
    });

    await t.step("upgrade: 1.31.0 → 1.32.0 on the parent's copy only", async () => {
      await parent.patch(LATTICE_CLUSTER, "workload", {
        spec: { provider: { kubernetes: { version: "1.32.0" } } },
      });
      const kcpRef = await child.resourceFor(
        "controlplane.cluster.x-k8s.io/v1beta2",
        "KubeadmControlPlane",
      );
      await until("child control plane at v1.32.0", async () => {
        const list = await child.list<KubeObject>(kcpRef, { namespace: "capi-workload" });
        return list.items.some((k) =>
            String((k.spec as { version?: string }).version) === "v1.32.0"
          )
          ? true
          : undefined;
      }, T);
      await until("copy shows the child running 1.32.0", async () => {
        const lc = await copy();
        return lc.status?.kubernetesVersion === "1.32.0" &&
            lc.status?.pivoted?.kubernetesVersion === "1.32.0"
          ? true
          : undefined;
      }, T);
    });

    await t.step("an edit made on the child is overwritten, with a Warning Event", async () => {
      await child.patch(LATTICE_CLUSTER, "workload", { spec: { nodes: { workers: 5 } } });
      await until("child's workers back to 3", async () => {
        const lc = await own();
        return (lc.spec.nodes as { workers: number }).workers === 3 ? true : undefined;
      }, T);
      const eventRef = await child.resourceFor("events.k8s.io/v1", "Event");
      const event = await until("LocalEditOverwritten event", async () => {
        const list = await child.list<KubeObject & { reason?: string; note?: string }>(eventRef, {
          namespace: "default",
        });
        return list.items.find((e) => e.reason === "LocalEditOverwritten");
      }, T);
      assert.match(event.note ?? "", /spec\.nodes\.workers/);
      assert.equal((event as { type?: string }).type, "Warning");
    });

    await t.step("a field fixed at creation is refused on the parent, not sent", async () => {
      // The parent's apiserver refuses it (the CRD's transition rule), as it would refuse
      // Flux's apply of the commit; the child keeps its spec and stays in sync.
      await assert.rejects(
        parent.patch(LATTICE_CLUSTER, "workload", {
          spec: { networking: { pods: "10.244.0.0/16" } },
        }),
        /spec\.networking\.pods: Invalid value: is immutable/,
      );
      const networking = (await own()).spec.networking as { pods?: string } | undefined;
      assert.equal(networking?.pods, undefined, "never sent to the child");
      await until("still in sync", async () => {
        return condition(await copy(), "SpecSynced")?.status === "True" ? true : undefined;
      }, T);
    });

    await t.step("a change made while the agent is down arrives on reconnect", async () => {
      await sandbox.stopOperator("workload");
      await until("copy shows the agent down and the view stale", async () => {
        const lc = await copy();
        return lc.status?.agent?.connected === false && lc.status?.pivoted?.stale === true
          ? true
          : undefined;
      }, T);
      await parent.patch(LATTICE_CLUSTER, "workload", { spec: { nodes: { workers: 2 } } });
      await until("SpecSynced=False AgentDisconnected", async () => {
        return condition(await copy(), "SpecSynced")?.reason === "AgentDisconnected"
          ? true
          : undefined;
      }, T);
      assert.equal(((await own()).spec.nodes as { workers: number }).workers, 3);
      const table = await kubectl({ kubeconfigPath: mgmtPlane.kubeconfigPath }, [
        "get",
        "latticeclusters",
      ]);
      assert.match(table.stdout, /SYNCED/);
      assert.match(table.stdout, /STALE/);
      assert.match(table.stdout, /workload\s.*false/);

      await sandbox.restartOperator("workload");
      await until("child MachineDeployment back at 2", async () => {
        return (await mdReplicas()).includes(2) ? true : undefined;
      }, T);
      await until("copy fresh and synced, 3/3 nodes", async () => {
        const lc = await copy();
        return lc.status?.pivoted?.stale === false && lc.status?.pivoted?.specSynced === true &&
            lc.status?.nodes?.summary === "3/3"
          ? true
          : undefined;
      }, T);
    });

    await t.step("delete on the parent: objects back, plane gone, nothing left", async () => {
      const pids = workloadPlane.pids();
      assert.ok(pids.length > 0 && pids.every(alive));
      await parent.delete(LATTICE_CLUSTER, "workload");
      await until("the copy is gone", async () => {
        try {
          await copy();
          return undefined;
        } catch {
          return true;
        }
      }, 180_000);
      await until(
        "the child's control-plane processes are gone",
        () => Promise.resolve(pids.every((p) => !alive(p)) ? true : undefined),
        T,
      );
      assert.equal(sandbox.planeOf("workload"), undefined);
      assert.equal(sandbox.operatorOf("workload"), undefined);
      assert.deepEqual(await names(mgmtPlane.kubeconfig, CAPI, "Cluster"), ["mgmt"]);
      assert.deepEqual(await names(mgmtPlane.kubeconfig, CAPI, "Machine", "capi-workload"), []);
      for (const kind of ["MachineDeployment", "MachineSet", "Cluster"]) {
        assert.deepEqual(await names(mgmtPlane.kubeconfig, CAPI, kind, "capi-workload"), []);
      }
      // The namespace is deleted (with what is left in it). The sandbox's planes run no
      // kube-controller-manager, whose namespace controller would then remove it: here it
      // stays Terminating, so "being deleted" is what can be checked.
      const ns = await until("capi-workload namespace deleted on the parent", async () => {
        try {
          const ns = await parent.get<KubeObject>(
            {
              group: "",
              version: "v1",
              plural: "namespaces",
              kind: "Namespace",
              namespaced: false,
            },
            "capi-workload",
          );
          return ns.metadata?.deletionTimestamp ? "terminating" : undefined;
        } catch {
          return "gone";
        }
      }, T);
      assert.ok(ns === "gone" || ns === "terminating");
    });
  } finally {
    parent.close();
    child.close();
    await sandbox.down();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
