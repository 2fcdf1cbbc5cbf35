/**
 * The fleet node on a real control plane: a cell's own entry and its children from its
 * LatticeCluster copies and Events, the agent registry's link state, a child's reported
 * subtree arriving as stream messages, a resync asked after a gap, and stale on disconnect.
 */
import assert from "node:assert/strict";
import { AgentRegistry } from "../../lib/cell/registry.ts";
import {
  accessReviewViewAuthorizer,
  fleetViewerToken,
  startFleet,
  Visibility,
} from "../../lib/fleet/mod.ts";
import { tokenReviewAuthenticator } from "../../lib/proxy/auth.ts";
import { EventRecorder, KubeClient } from "../../lib/kube/mod.ts";
import type { CellCommand } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { withControlPlane } from "./_plane.ts";
import { LATTICE_CLUSTER_REF } from "../../lib/api/mod.ts";
import { entry } from "../fleet/_fixtures.ts";
import { until } from "../_until.ts";

function cluster(name: string, cellRef: string | undefined, phase: string, pivoted: boolean) {
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name, labels: { env: "test" } },
    spec: {
      provider: { kubernetes: { version: "1.31.0" }, config: { docker: {} } },
      nodes: { controlPlane: 1, workers: 1 },
      ...(cellRef ? { cellRef } : {}),
      ...(name === "cell" ? { cell: { enabled: true, host: "localhost" } } : {}),
    },
    status: {
      phase,
      conditions: pivoted
        ? [{
          type: "Pivoted",
          status: "True",
          reason: "Done",
          message: "",
          lastTransitionTime: "2026-12-07T00:00:00Z",
        }]
        : [],
    },
  };
}

Deno.test("fleet node: a cell's state from its API, its registry and its children's reports", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const registry = new AgentRegistry({ heartbeatIntervalMs: 60_000 });
    const written: CellCommand[] = [];
    let node: ReturnType<typeof startFleet> | undefined;
    try {
      for (
        const doc of [
          cluster("cell", undefined, "Ready", false),
          cluster("child", "cell", "Provisioning", false),
        ]
      ) {
        const { status, ...rest } = doc;
        await client.apply(rest);
        await client.patchStatus(LATTICE_CLUSTER_REF, doc.metadata.name, undefined, { status });
      }
      const recorder = new EventRecorder(client, { component: "test" });
      const child = await client.get<
        { apiVersion: string; kind: string; metadata: { name: string; uid: string } }
      >(
        {
          group: "lattice.dev",
          version: "v1alpha1",
          plural: "latticeclusters",
          kind: "LatticeCluster",
          namespaced: false,
        },
        "child",
      );
      await recorder.record(child, {
        type: "Warning",
        reason: "ProviderSlow",
        action: "Provision",
        note: "machines are slow",
      });
      node = startFleet(client, { name: "cell", registry, intervalMs: 60_000 });
      const state = node.state;

      await t.step("own entry and the child's copy with its events", async () => {
        await until("the child's event", async () => {
          await node!.refresh();
          return state.get("child")?.events.length === 1 ? true : undefined;
        }, 30_000);
        const self = state.get("cell")!;
        assert.equal(self.phase, "Ready");
        assert.equal(self.cell, true);
        assert.equal(self.labels.env, "test");
        const c = state.get("child")!;
        assert.equal(c.phase, "Provisioning");
        assert.equal(c.parent, "cell");
        assert.equal(c.provider, "docker");
        assert.equal(c.agentConnected, false, "no stream in this process yet");
        assert.equal(c.events[0].reason, "ProviderSlow");
      });

      await t.step("a connected child reports its subtree; a gap asks for a resync", () => {
        const session = registry.attach("child", {
          write: (c) => written.push(c),
          close: () => {},
        });
        assert.equal(state.get("child")!.agentConnected, true);
        const send = (value: Parameters<typeof state.apply>[1]) =>
          registry.receive(session, {
            clusterName: "child",
            payload: { $case: "fleetSubtree", value },
          });
        send({
          sequence: 1,
          reset: true,
          more: false,
          upserts: [entry("child", "", { phase: "Ready" }), entry("grandchild", "child")],
          removals: [],
          truncated: 0,
        });
        assert.equal(state.get("grandchild")!.parent, "child");
        assert.equal(
          state.get("child")!.phase,
          "Provisioning",
          "not pivoted: the cell's copy wins",
        );
        send({ sequence: 5, reset: false, more: false, upserts: [], removals: [], truncated: 0 });
        const resync = written.find((c) => c.command?.$case === "fleetResync");
        assert.ok(resync, "a resync request was written");
        assert.equal(resync.commandId, "");
        registry.detach(session, "test");
        assert.equal(state.get("grandchild")!.stale, true);
        assert.equal(state.get("child")!.agentConnected, false);
      });

      await t.step(
        "the viewer token authenticates and sees every cluster; others see none",
        async () => {
          const token = await fleetViewerToken(client, 600);
          const identity = await tokenReviewAuthenticator(client).authenticate(token);
          assert.equal(identity?.user, "system:serviceaccount:lattice-system:lattice-fleet-viewer");
          const authorizer = accessReviewViewAuthorizer(client);
          const viewer = await Visibility.of(authorizer, identity!);
          assert.equal(viewer.all, true);
          const stranger = await Visibility.of(authorizer, { user: "mallory", groups: [] });
          await stranger.review(["cell", "child"]);
          assert.equal(stranger.all, false);
          assert.equal(stranger.sees("child"), false);
          assert.equal(await authorizer.allowed(identity!, "child"), true);
        },
      );

      await t.step("a deleted child leaves with its subtree", async () => {
        await client.request({
          method: "DELETE",
          path: "/apis/lattice.dev/v1alpha1/latticeclusters/child",
        });
        await until("the child gone from the cell's view", async () => {
          await node!.refresh();
          return state.get("child") === undefined ? true : undefined;
        }, 30_000);
        assert.equal(state.get("grandchild"), undefined);
        assert.equal(state.size, 1);
      });
    } finally {
      node?.stop();
      registry.close();
      client.close();
    }
  }, { crds: { lattice: true } });
});
