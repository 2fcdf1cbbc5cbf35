/**
 * The agent stream between two real control planes: the parent's LatticeCluster status
 * follows the child's agent (connected, heartbeat, version, nodes, condition, events), and
 * the child's ClusterHealth comes from its own API.
 */
import assert from "node:assert/strict";
import { AgentClient, kubernetesVersion, nodeHealth } from "../../lib/agent/mod.ts";
import { AgentRegistry } from "../../lib/cell/registry.ts";
import { AgentStatusWriter, LATTICE_CLUSTER_REF } from "../../lib/cell/registry_status.ts";
import { EventRecorder, KubeClient } from "../../lib/kube/mod.ts";
import type { LatticeCluster } from "../../lib/api/mod.ts";
import { startControlPlane } from "../../lib/sandbox/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { issueAgent, startCell, testPki, whenConnected } from "../agent/_fixtures.ts";
import { withControlPlane } from "./_plane.ts";

const NODES = { group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false };

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  while (true) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("status.agent follows the child's agent on a real parent and child", async (t) => {
  await withControlPlane(t, async (parentPlane) => {
    const child = await startControlPlane({ name: "stream-child" });
    const parent = await KubeClient.fromKubeconfigFile(parentPlane.kubeconfigPath);
    const childKube = await KubeClient.fromKubeconfigFile(child.kubeconfigPath);
    let now = Date.now();
    const registry = new AgentRegistry({ heartbeatIntervalMs: 1_000, now: () => now });
    const writer = new AgentStatusWriter(parent, {
      recorder: new EventRecorder(parent, { component: "lattice.dev/cell" }),
      heartbeatWriteIntervalMs: 0,
    });
    writer.attach(registry);
    const pki = await testPki();
    const cell = await startCell(pki, { registry });
    const agent = new AgentClient({
      address: cell.address,
      clusterName: "child-1",
      credentials: await issueAgent(pki, "child-1"),
      agentVersion: "0.1.0-test",
      kubernetesVersion: () => kubernetesVersion(childKube),
      health: () => nodeHealth(childKube),
    });
    try {
      await parent.create(minimalClusterDocument("child-1"));
      await childKube.create({ apiVersion: "v1", kind: "Node", metadata: { name: "n1" } });
      await childKube.patchStatus(NODES, "n1", undefined, {
        status: {
          conditions: [{
            type: "Ready",
            status: "True",
            reason: "KubeletReady",
            message: "test",
            lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          }],
        },
      });
      await childKube.create({ apiVersion: "v1", kind: "Node", metadata: { name: "n2" } });

      agent.start();
      await whenConnected(registry, "child-1");
      const read = () => parent.get<LatticeCluster>(LATTICE_CLUSTER_REF, "child-1");
      let lc = await until(read, (c) => c.status?.nodes?.summary === "1/2");
      assert.equal(lc.status?.agent?.connected, true);
      assert.equal(lc.status?.agent?.version, "0.1.0-test");
      assert.match(lc.status?.agent?.lastHeartbeat ?? "", /^\d{4}-\d\d-\d\dT/);
      assert.equal(lc.status?.nodes?.summary, "1/2");
      const cond = lc.status?.conditions?.find((c) => c.type === "AgentConnected");
      assert.equal(cond?.status, "True");
      assert.match(registry.get("child-1")?.kubernetesVersion ?? "", /^v1\.\d+/);

      // Heartbeats stop arriving (as far as the registry's clock goes): disconnected,
      // condition False, Warning event.
      now += 10_000;
      assert.deepEqual(registry.checkHeartbeats(), ["child-1"]);
      await writer.flush();
      lc = await read();
      assert.equal(lc.status?.agent?.connected, false);
      const lost = lc.status?.conditions?.find((c) => c.type === "AgentConnected");
      assert.equal(lost?.status, "False");
      assert.equal(lost?.reason, "HeartbeatsMissed");
      const events = await parent.request<{ items: { reason: string; type: string }[] }>({
        method: "GET",
        path: "/apis/events.k8s.io/v1/namespaces/default/events",
      });
      assert.ok(
        events.items.some((e) => e.reason === "AgentDisconnected" && e.type === "Warning"),
        JSON.stringify(events.items.map((e) => e.reason)),
      );

      // The agent reconnects by itself, and status follows.
      now = Date.now() + 10_000;
      lc = await until(read, (c) => c.status?.agent?.connected === true);
      assert.equal(lc.status?.agent?.connected, true);
    } finally {
      await agent.stop();
      await cell.close();
      await writer.flush();
      parent.close();
      childKube.close();
      await child.stop();
    }
  }, { crds: { lattice: true } });
});
