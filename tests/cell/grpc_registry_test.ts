/** The agent registry alone: streams are fakes, time is an injected clock. */
import assert from "node:assert/strict";
import {
  type AgentEvent,
  AgentRegistry,
  type AgentStream,
  CommandFailedError,
} from "../../lib/cell/registry.ts";
import type { AgentMessage, CellCommand } from "../../lib/proto/lattice/agent/v1/agent.ts";

class FakeStream implements AgentStream {
  written: CellCommand[] = [];
  closed?: string;
  write(command: CellCommand) {
    this.written.push(command);
  }
  close(reason: string) {
    this.closed = reason;
  }
}

function setup() {
  let now = 1_000_000;
  let ids = 0;
  const registry = new AgentRegistry({
    heartbeatIntervalMs: 1_000,
    missedHeartbeats: 3,
    now: () => now,
    newCommandId: () => `cmd-${++ids}`,
  });
  const events: AgentEvent[] = [];
  registry.subscribe((e) => events.push(e));
  return { registry, events, advance: (ms: number) => now += ms };
}

const beat = (sequence: number): AgentMessage => ({
  clusterName: "c1",
  payload: {
    $case: "heartbeat",
    value: { state: 3, timestamp: new Date(0), sequence, specHash: "", registrationsHash: "" },
  },
});

Deno.test("heartbeats are answered and recorded; silence marks the agent disconnected", () => {
  const { registry, events, advance } = setup();
  const stream = new FakeStream();
  const session = registry.attach("c1", stream);
  advance(900);
  registry.receive(session, beat(7));
  assert.deepEqual(stream.written.at(-1)?.command, {
    $case: "heartbeatAck",
    value: { sequence: 7, received: new Date(1_000_900) },
  });
  advance(3_000);
  assert.deepEqual(registry.checkHeartbeats(), []);
  advance(1);
  assert.deepEqual(registry.checkHeartbeats(), ["c1"]);
  assert.equal(registry.get("c1")?.connected, false);
  assert.match(stream.closed ?? "", /No heartbeat/);
  const last = events.at(-1);
  assert.equal(last?.type, "disconnected");
  assert.equal(last?.type === "disconnected" && last.missedHeartbeats, true);
});

Deno.test("a new stream replaces the old one; the old one's end changes nothing", () => {
  const { registry, events } = setup();
  const old = new FakeStream();
  const first = registry.attach("c1", old);
  const fresh = new FakeStream();
  const second = registry.attach("c1", fresh);
  assert.match(old.closed ?? "", /Replaced/);
  registry.detach(first, "old stream ended");
  registry.receive(first, beat(1)); // a late message on the old stream is ignored
  assert.equal(registry.get("c1")?.connected, true);
  assert.equal(fresh.written.length, 0);
  assert.deepEqual(events.map((e) => e.type), ["connected", "connected"]);
  registry.detach(second, "gone");
  assert.equal(registry.get("c1")?.connected, false);
});

Deno.test("sendCommand resolves on ack, rejects on error ack, re-sends after reconnect", async () => {
  const { registry } = setup();
  const stream = new FakeStream();
  let session = registry.attach("c1", stream);
  const ack = (id: string, ok: boolean): AgentMessage => ({
    clusterName: "c1",
    payload: { $case: "ack", value: { commandId: id, ok, error: ok ? "" : "boom" } },
  });

  const done = registry.sendCommand("c1", { $case: "reconcile", value: {} });
  assert.equal(stream.written[0].commandId, "cmd-1");
  registry.receive(session, ack("cmd-1", true));
  assert.equal((await done).ok, true);

  const failed = registry.sendCommand("c1", { $case: "reconcile", value: {} });
  registry.receive(session, ack("cmd-2", false));
  await assert.rejects(
    failed,
    (e: unknown) => e instanceof CommandFailedError && e.ack.ok === false,
  );

  // The stream drops before the ack: the command is re-sent, same id, on the next stream.
  const retried = registry.sendCommand("c1", { $case: "reconcile", value: {} });
  registry.detach(session, "network");
  const next = new FakeStream();
  session = registry.attach("c1", next);
  assert.equal(next.written[0].commandId, "cmd-3");
  registry.receive(session, ack("cmd-3", true));
  assert.equal((await retried).commandId, "cmd-3");
});

Deno.test("sendCommand fails fast when not connected and times out without an ack", async () => {
  const { registry } = setup();
  await assert.rejects(
    registry.sendCommand("nobody", { $case: "reconcile", value: {} }),
    /Cannot send reconcile to nobody: agent not connected/,
  );
  registry.attach("c1", new FakeStream());
  await assert.rejects(
    registry.sendCommand("c1", { $case: "reconcile", value: {} }, { timeoutMs: 5 }),
    /no acknowledgement within 5 ms/,
  );
});

Deno.test("an ack from another cluster cannot settle a command", async () => {
  const { registry } = setup();
  registry.attach("c1", new FakeStream());
  const other = registry.attach("c2", new FakeStream());
  const pending = registry.sendCommand("c1", { $case: "reconcile", value: {} }, {
    timeoutMs: 20,
  });
  registry.receive(other, {
    clusterName: "c2",
    payload: { $case: "ack", value: { commandId: "cmd-1", ok: true, error: "" } },
  });
  await assert.rejects(pending, /no acknowledgement/);
});

Deno.test("close fails pending commands and disconnects everyone", async () => {
  const { registry } = setup();
  const stream = new FakeStream();
  registry.attach("c1", stream);
  const pending = registry.sendCommand("c1", { $case: "reconcile", value: {} });
  registry.close();
  await assert.rejects(pending, /registry closed/);
  assert.equal(registry.connectedCount(), 0);
  assert.match(stream.closed ?? "", /shutting down/);
});
