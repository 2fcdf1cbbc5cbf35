/**
 * The cell's copy of a pivoted child, on a real kube-apiserver, with a scripted child link:
 * immutable fields refused (never offered), sync states as conditions, the stale mark, and
 * every path of deleting a pivoted child — refused while it has children, waiting for an
 * agent that is away, the forced `lattice.dev/forget` path, and the unpivot to the end with
 * the revocation hook called.
 */
import assert from "node:assert/strict";
import {
  type ChildLink,
  type ChildSyncState,
  CLUSTER_FINALIZER,
  ClusterReconciler,
  LATTICE_CLUSTER_REF,
  type UnpivotState,
} from "../../lib/controllers/cluster/mod.ts";
import { EventRecorder, KubeClient } from "../../lib/kube/mod.ts";
import { withControlPlane } from "./_plane.ts";
import { CONFIGMAP_REF } from "../../lib/kube/refs.ts";
import { REVOCATIONS_CONFIGMAP } from "../../lib/cell/revocation.ts";
import { clusterDoc, condition, CRDS, getCluster, mustGetCluster } from "./_cluster_helpers.ts";
import { TEST_CA_PEM } from "../capi/fixtures.ts";

class ScriptedLink implements ChildLink {
  staleAfterMs = 3_000;
  offered: string[] = [];
  sync: ChildSyncState["state"] = "synced";
  beat: Date | undefined = new Date();
  unpivotState: UnpivotState = { state: "disconnected" };
  unpivots = 0;
  revoked: string[] = [];
  forgotten: string[] = [];
  offerSpec(name: string, _spec: Record<string, unknown>, _generation: number): ChildSyncState {
    this.offered.push(name);
    return this.sync === "failed"
      ? { state: "failed", hash: "h", error: "boom" }
      : { state: this.sync, hash: "h" };
  }
  forget(name: string) {
    this.forgotten.push(name);
  }
  lastHeartbeat() {
    return this.beat;
  }
  unpivot(): Promise<UnpivotState> {
    this.unpivots++;
    return Promise.resolve(this.unpivotState);
  }
  revokeAgent(name: string) {
    this.revoked.push(name);
    return Promise.resolve();
  }
}

async function pivotedCopy(client: KubeClient, name: string, children: string[] = []) {
  await client.create(clusterDoc(name, { cellRef: "root" }));
  await client.patchStatus(LATTICE_CLUSTER_REF, name, undefined, {
    status: {
      conditions: [{
        type: "Pivoted",
        status: "True",
        reason: "PivotComplete",
        message: "",
        lastTransitionTime: "2026-12-07T00:00:00Z",
      }],
      pivoted: {
        phase: "Ready",
        kubernetesVersion: "1.31.0",
        nodes: { ready: 3, total: 3 },
        children,
        reportedAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      },
    },
  });
}

Deno.test("cell's copy of a pivoted child on a real control plane", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const link = new ScriptedLink();
    const reconciler = new ClusterReconciler(client, {
      selfName: "root",
      cell: { url: "https://root.example.com:8443", caBundlePem: TEST_CA_PEM },
      child: link,
      recorder: new EventRecorder(client, { component: "lattice.dev/test" }),
      shortPollMs: 100,
    });
    const reconcile = async (name: string) =>
      await reconciler.reconcile(await mustGetCluster(client, name));
    try {
      await t.step("status up: the child's view in the printer fields", async () => {
        await pivotedCopy(client, "p1");
        const action = await reconcile("p1");
        assert.equal(action.requeueAfterMs, link.staleAfterMs, "re-checked for staleness");
        const lc = await mustGetCluster(client, "p1");
        assert.equal(lc.status?.phase, "Ready");
        assert.equal(lc.status?.kubernetesVersion, "1.31.0");
        assert.equal(lc.status?.nodes?.summary, "3/3");
        assert.equal(lc.status?.pivoted?.specSynced, true);
        assert.equal(lc.status?.pivoted?.stale, false);
        assert.equal(lc.status?.pivoted?.immutable?.["spec.provider.config"], "docker");
        assert.equal(condition(lc, "SpecSynced")?.status, "True");
        assert.equal(condition(lc, "ChildReporting")?.status, "True");
      });

      await t.step("sync states become the SpecSynced condition", async () => {
        const cases: [ChildSyncState["state"], string][] = [
          ["disconnected", "AgentDisconnected"],
          ["failed", "SyncFailed"],
          ["sending", "Syncing"],
        ];
        for (const [state, reason] of cases) {
          link.sync = state;
          await reconcile("p1");
          const lc = await mustGetCluster(client, "p1");
          assert.equal(condition(lc, "SpecSynced")?.reason, reason);
          assert.equal(lc.status?.pivoted?.specSynced, false);
        }
        link.sync = "synced";
      });

      await t.step("a field fixed at creation is refused and never offered", async () => {
        // The CRD's transition rule (lib/api/cluster_rules.ts) refuses it at admission, so a
        // change from git never reaches the copy; location fields the CRD cannot compare are
        // refused by the cell (ImmutableFieldChanged, tests/childsync/spec_test.ts).
        link.offered = [];
        await assert.rejects(
          client.patch(LATTICE_CLUSTER_REF, "p1", {
            spec: { provider: { kubernetes: { bootstrap: "rke2" } } },
          }),
          /spec\.provider\.kubernetes\.bootstrap: Invalid value: is immutable/,
        );
        await reconcile("p1");
        const lc = await mustGetCluster(client, "p1");
        assert.equal(lc.spec.provider.kubernetes.bootstrap ?? "kubeadm", "kubeadm");
        assert.notEqual(condition(lc, "SpecSynced")?.reason, "ImmutableFieldChanged");
        assert.deepEqual(link.offered, ["p1"], "the unchanged spec is offered as before");
      });

      await t.step("a silent agent marks the view stale", async () => {
        link.beat = new Date(Date.now() - 10_000);
        await reconcile("p1");
        const lc = await mustGetCluster(client, "p1");
        assert.equal(lc.status?.pivoted?.stale, true);
        assert.equal(condition(lc, "ChildReporting")?.reason, "AgentSilent");
        link.beat = new Date();
        await reconcile("p1");
        assert.equal((await mustGetCluster(client, "p1")).status?.pivoted?.stale, false);
      });

      await t.step("deletion is refused while the child has children", async () => {
        await pivotedCopy(client, "cell1", ["leaf-a", "leaf-b"]);
        await reconcile("cell1");
        await client.delete(LATTICE_CLUSTER_REF, "cell1");
        await reconcile("cell1");
        const lc = await mustGetCluster(client, "cell1");
        const c = condition(lc, "Unpivoted");
        assert.equal(c?.reason, "HasChildren");
        assert.match(c?.message ?? "", /leaf-a, leaf-b/);
        assert.equal(link.unpivots, 0, "nothing was asked of the child");
        assert.ok(lc.metadata.finalizers?.includes(CLUSTER_FINALIZER));
      });

      await t.step("an agent that is away: deletion waits, then the forced path", async () => {
        await pivotedCopy(client, "away");
        await reconcile("away");
        await client.delete(LATTICE_CLUSTER_REF, "away");
        link.unpivotState = { state: "disconnected" };
        await reconcile("away");
        const c = condition(await mustGetCluster(client, "away"), "Unpivoted");
        assert.equal(c?.reason, "AgentDisconnected");
        assert.match(c?.message ?? "", /lattice\.dev\/forget=true/);
        await client.patch(LATTICE_CLUSTER_REF, "away", {
          metadata: { annotations: { "lattice.dev/forget": "true" } },
        });
        await reconcile("away");
        assert.equal(await getCluster(client, "away"), undefined, "forgotten");
        assert.deepEqual(link.revoked, ["away"]);
      });

      await t.step("unpivot running, then done: deleted to the end, agent revoked", async () => {
        await pivotedCopy(client, "gone");
        await reconcile("gone");
        await client.delete(LATTICE_CLUSTER_REF, "gone");
        link.unpivotState = { state: "running", phase: "Sending", message: "" };
        await reconcile("gone");
        assert.equal(
          condition(await mustGetCluster(client, "gone"), "Unpivoted")?.reason,
          "UnpivotSending",
        );
        link.unpivotState = { state: "refused", message: "nope" };
        await reconcile("gone");
        assert.equal(
          condition(await mustGetCluster(client, "gone"), "Unpivoted")?.reason,
          "UnpivotFailed",
        );
        link.unpivotState = { state: "done", phase: "Done", message: "" };
        // Done is persisted first; then the ordinary deletion runs (no CAPI objects here).
        await reconcile("gone");
        assert.equal(
          condition(await mustGetCluster(client, "gone"), "Unpivoted")?.status,
          "True",
        );
        link.unpivotState = { state: "disconnected" }; // the child may be gone by now
        await reconcile("gone");
        assert.equal(await getCluster(client, "gone"), undefined);
        // The forced path revokes through the link; ordinary deletion revokes in
        // deleteChild (lib/cell/revocation.ts), once the unpivot is done.
        assert.deepEqual(link.revoked, ["away"]);
        const revoked = await client.get<{ data?: Record<string, string> }>(
          CONFIGMAP_REF,
          REVOCATIONS_CONFIGMAP.name,
          REVOCATIONS_CONFIGMAP.namespace,
        );
        assert.ok(revoked.data?.gone, "gone is revoked");
      });
    } finally {
      client.close();
    }
  }, { crds: CRDS });
});
