import assert from "node:assert/strict";
import { SpecSyncer } from "../../lib/childsync/cell.ts";
import { specHash } from "../../lib/childsync/spec.ts";
import { AgentRegistry } from "../../lib/cell/registry.ts";
import type { AgentMessage, CellCommand } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { createChildLink } from "../../lib/childsync/link.ts";

function heartbeat(name: string, hash: string): AgentMessage {
  return {
    clusterName: name,
    payload: {
      $case: "heartbeat",
      value: {
        state: 3,
        sequence: 1,
        specHash: hash,
        registrationsHash: "",
        timestamp: new Date(),
      },
    },
  };
}

function setup() {
  const registry = new AgentRegistry();
  const written: CellCommand[] = [];
  const session = registry.attach("c1", { write: (c) => written.push(c), close() {} });
  const syncer = new SpecSyncer(registry, { timeoutMs: 1_000 });
  syncer.start();
  const acked = (ok = true, error = "") => {
    const sent = written.filter((c) => c.command?.$case === "specSync");
    registry.receive(session, {
      clusterName: "c1",
      payload: { $case: "ack", value: { commandId: sent.at(-1)!.commandId, ok, error } },
    });
  };
  return { registry, written, session, syncer, acked };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("SpecSyncer sends only when the child reports a different hash", async () => {
  const { registry, written, session, syncer, acked } = setup();
  const spec = { nodes: { workers: 3 } };
  // No heartbeat yet: nothing is known of the child, nothing is sent.
  assert.equal(syncer.offer("c1", spec, 2).state, "unknown");
  assert.equal(written.filter((c) => c.command?.$case === "specSync").length, 0);
  // The child runs the same spec: nothing to send.
  registry.receive(session, heartbeat("c1", specHash(spec)));
  assert.equal(syncer.state("c1").state, "synced");
  // The child differs (an edit on the child, or an older spec): sent once until answered.
  registry.receive(session, heartbeat("c1", "other"));
  registry.receive(session, heartbeat("c1", "other"));
  const sends = written.filter((c) => c.command?.$case === "specSync");
  assert.equal(sends.length, 1);
  const cmd = sends[0].command;
  assert.ok(cmd?.$case === "specSync");
  assert.equal(cmd.value.specHash, specHash(spec));
  assert.equal(cmd.value.generation, 2);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(cmd.value.spec)), spec);
  assert.equal(syncer.state("c1").state, "sending");
  acked();
  await syncer.idle();
  assert.equal(syncer.state("c1").state, "synced");
  registry.close();
});

Deno.test("SpecSyncer: a refusal is reported and retried on the next heartbeat", async () => {
  const { registry, written, session, syncer, acked } = setup();
  registry.receive(session, heartbeat("c1", "old"));
  syncer.offer("c1", { a: 1 }, 1);
  acked(false, "invalid spec");
  await syncer.idle();
  await tick();
  const state = syncer.state("c1");
  assert.equal(state.state, "failed");
  assert.match((state as { error: string }).error, /invalid spec/);
  registry.receive(session, heartbeat("c1", "old"));
  assert.equal(written.filter((c) => c.command?.$case === "specSync").length, 2);
  acked();
  await syncer.idle();
  registry.close();
});

Deno.test("SpecSyncer: a change made while disconnected is sent on reconnect", async () => {
  const { registry, written, session, syncer } = setup();
  registry.receive(session, heartbeat("c1", "h0"));
  registry.detach(session, "gone");
  assert.equal(syncer.offer("c1", { b: 2 }, 3).state, "disconnected");
  assert.equal(written.filter((c) => c.command?.$case === "specSync").length, 0);
  const written2: CellCommand[] = [];
  const s2 = registry.attach("c1", { write: (c) => written2.push(c), close() {} });
  registry.receive(s2, heartbeat("c1", "h0"));
  const sent = written2.filter((c) => c.command?.$case === "specSync");
  assert.equal(sent.length, 1);
  registry.receive(s2, {
    clusterName: "c1",
    payload: { $case: "ack", value: { commandId: sent[0].commandId, ok: true, error: "" } },
  });
  await syncer.idle();
  assert.equal(syncer.state("c1").state, "synced");
  syncer.forget("c1");
  registry.close();
});

Deno.test("child link: unpivot states and the revocation hook", async () => {
  const registry = new AgentRegistry();
  const revoked: string[] = [];
  const link = createChildLink({
    registry,
    heartbeatIntervalMs: 1_000,
    staleAfterHeartbeats: 4,
    commandTimeoutMs: 500,
    revokeAgent: (name) => {
      revoked.push(name);
      return Promise.resolve();
    },
  });
  assert.equal(link.staleAfterMs, 4_000);
  assert.deepEqual(await link.unpivot("c1", "u1"), { state: "disconnected" });
  const written: CellCommand[] = [];
  const session = registry.attach("c1", { write: (c) => written.push(c), close() {} });
  const pending = link.unpivot("c1", "u1");
  const cmd = written.find((c) => c.command?.$case === "unpivot")!;
  assert.ok(cmd.command?.$case === "unpivot");
  assert.equal(cmd.command.value.capiNamespace, "capi-c1");
  registry.receive(session, {
    clusterName: "c1",
    payload: {
      $case: "ack",
      value: {
        commandId: cmd.commandId,
        ok: true,
        error: "",
        unpivot: { unpivotId: "u1", phase: "Sending", message: "", objects: 25 },
      },
    },
  });
  assert.deepEqual(await pending, { state: "running", phase: "Sending", message: "" });
  const refused = link.unpivot("c1", "u1");
  const cmd2 = written.filter((c) => c.command?.$case === "unpivot").at(-1)!;
  registry.receive(session, {
    clusterName: "c1",
    payload: { $case: "ack", value: { commandId: cmd2.commandId, ok: false, error: "nope" } },
  });
  assert.equal((await refused).state, "refused");
  assert.equal((await link.unpivot("c1", "u1")).state, "failed", "no answer in time");
  assert.ok(link.lastHeartbeat("c1") instanceof Date);
  await link.revokeAgent("c1");
  assert.deepEqual(revoked, ["c1"]);
  link.close();
  registry.close();
});
