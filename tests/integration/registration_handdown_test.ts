/**
 * Registrations handed down a REAL agent stream (mTLS gRPC between a cell and a child's
 * agent, two real API servers), wired as the operator wires it: the cell's registrations
 * reach the child's ConfigMap, a change is pushed at once, a deletion empties it, and a
 * change made while the child is disconnected arrives when it reconnects (level-triggered
 * on the heartbeat's hash). The child's placement controller resolves from what it got.
 */
import assert from "node:assert/strict";
import { AgentClient } from "../../lib/agent/mod.ts";
import { LATTICE_SERVICE_REGISTRATION_REF } from "../../lib/api/refs.ts";
import { CONFIGMAP_REF, type KubeObject } from "../../lib/kube/mod.ts";
import {
  INHERITED_CONFIGMAP,
  INHERITED_HASH_ANNOTATION,
  InheritedHash,
  type InheritedRegistration,
  placementControllers,
  placementsWithHandDown,
  registrationHandlers,
  resolveRegistration,
} from "../../lib/controllers/placement/mod.ts";
import { startCellEnv } from "./_cell_env.ts";
import { until } from "../_until.ts";

function registration(name: string, path: string): KubeObject {
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeServiceRegistration",
    metadata: { name },
    spec: { source: { git: { url: "https://git.example/acme/payments", path, branch: "main" } } },
  };
}

Deno.test("registrations are handed down the agent stream", async (t) => {
  const env = await startCellEnv();
  const abort = new AbortController();
  const agents: AgentClient[] = [];
  try {
    await env.createCluster("leaf");
    await env.childClient.apply({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "lattice-system" },
    });
    await env.parentClient.apply(registration("payments", "./deploy"));
    // The cell's side, as the operator runs it.
    placementsWithHandDown(env.parentClient, env.cell.registry, {
      selfName: "root",
      signal: abort.signal,
    });
    // The child's side, as agent_role wires it.
    const hash = new InheritedHash();
    const credentials = await env.credentials("leaf");
    const connect = () => {
      const agent: AgentClient = new AgentClient({
        address: env.cell.grpcEndpoint,
        clusterName: "leaf",
        credentials,
        handlers: registrationHandlers(env.childClient, hash, {
          onStored: () => agent.heartbeatNow(),
        }),
        heartbeatExtras: () => ({ registrationsHash: hash.value }),
        heartbeatIntervalMs: 1_000,
        backoff: { initialMs: 50, maxMs: 200 },
      });
      agents.push(agent);
      agent.start();
      return agent;
    };
    const stored = (check: (set: InheritedRegistration[]) => boolean) =>
      until("the child's inherited set", async () => {
        const cm = await env.childClient.get<KubeObject & { data: Record<string, string> }>(
          CONFIGMAP_REF,
          INHERITED_CONFIGMAP,
          "lattice-system",
        ).catch(() => undefined);
        if (!cm) return undefined;
        const set = JSON.parse(cm.data["registrations.json"]) as InheritedRegistration[];
        return check(set) ? { cm, set } : undefined;
      }, 60_000);
    const pathOf = (set: InheritedRegistration[], name: string) =>
      (set.find((r) => r.name === name)?.spec as { source?: { git?: { path?: string } } })
        ?.source?.git?.path;

    let agent = connect();
    await t.step("the cell's registrations reach the child", async () => {
      const { cm, set } = await stored((s) => s.length === 1);
      assert.equal(set[0].name, "payments");
      assert.equal(set[0].definedOn, "root");
      assert.equal(pathOf(set, "payments"), "./deploy");
      assert.equal(cm.metadata?.annotations?.[INHERITED_HASH_ANNOTATION], hash.value);
      // The child's placement controller resolves from it.
      const child = placementControllers(env.childClient, {
        selfName: "leaf",
        signal: abort.signal,
      });
      await until(
        "child cache",
        () => Promise.resolve(child.inherited().length === 1 || undefined),
      );
      const r = resolveRegistration("payments", "leaf", child.registrations.list(), [
        ...child.inherited(),
      ]);
      assert.ok(r.found && r.registration.definedOn === "root");
    });

    await t.step("a change is pushed at once; a deletion empties the set", async () => {
      await env.parentClient.apply(registration("payments", "./deploy-v2"));
      await env.parentClient.apply(registration("orders", "./orders"));
      await stored((s) => pathOf(s, "payments") === "./deploy-v2" && s.length === 2);
      await env.parentClient.delete(LATTICE_SERVICE_REGISTRATION_REF, "orders");
      await stored((s) => s.length === 1);
    });

    await t.step("a change made while the child is away arrives when it reconnects", async () => {
      await agent.stop();
      await env.parentClient.apply(registration("payments", "./while-away"));
      await new Promise((r) => setTimeout(r, 1_500));
      const { set } = await stored(() => true);
      assert.equal(pathOf(set, "payments"), "./deploy-v2", "nothing reaches a stopped agent");
      agent = connect();
      await stored((s) => pathOf(s, "payments") === "./while-away");
    });
  } finally {
    abort.abort();
    await Promise.all(agents.map((a) => a.stop()));
    await env.close();
  }
});
