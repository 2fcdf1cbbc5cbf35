import assert from "node:assert/strict";
import {
  handDown,
  type HandDownRegistry,
  InheritedHash,
  RegistrationHandDowner,
  registrationHandlers,
  registrationsHash,
} from "../../lib/controllers/placement/mod.ts";
import { AgentMessage, CellCommand } from "../../lib/proto/lattice/agent/v1/agent.ts";
import type { KubeClient } from "../../lib/kube/mod.ts";
import { silentLogger } from "../../lib/log/mod.ts";

type Listener = Parameters<HandDownRegistry["subscribe"]>[0];

function fakeRegistry() {
  const listeners: Listener[] = [];
  const sent: { child: string; command: CellCommand["command"] }[] = [];
  let fail = false;
  const registry = {
    get: (name: string) => ({ connected: name !== "offline" }),
    subscribe: (l: Listener) => {
      listeners.push(l);
      return () => listeners.splice(listeners.indexOf(l), 1);
    },
    sendCommand: (child: string, command: CellCommand["command"]) => {
      // Through the wire format, as the stream would.
      const wire = CellCommand.decode(CellCommand.encode({ command, commandId: "x" }).finish());
      sent.push({ child, command: wire.command });
      return fail ? Promise.reject(new Error("stream dropped")) : Promise.resolve({});
    },
  } as unknown as HandDownRegistry;
  const heartbeat = (child: string, hash: string) => {
    const msg = AgentMessage.fromPartial({
      payload: { $case: "heartbeat", value: { registrationsHash: hash, specHash: "" } },
    });
    for (const l of [...listeners]) {
      l({ type: "message", clusterName: child, message: msg } as Parameters<Listener>[0]);
    }
  };
  return { registry, sent, heartbeat, setFail: (f: boolean) => fail = f };
}

Deno.test("a cell hands its set down whenever a child reports another hash", async () => {
  const { registry, sent, heartbeat, setFail } = fakeRegistry();
  let local: { metadata: { name: string }; spec: Record<string, unknown> }[] = [{
    metadata: { name: "payments" },
    spec: { source: { git: { url: "https://h/p", branch: "main" } } },
  }];
  const inherited = handDown("root", [{ metadata: { name: "orders" }, spec: { x: 1 } }], []);
  const down = new RegistrationHandDowner(registry, {
    selfName: "us",
    local: () => local,
    inherited: () => inherited,
    logger: silentLogger,
  });
  down.start();
  const { hash, set } = down.current();
  assert.deepEqual(set.map((r) => [r.name, r.definedOn]), [["orders", "root"], ["payments", "us"]]);
  heartbeat("leaf", "");
  await down.idle();
  assert.equal(sent.length, 1);
  const cmd = sent[0].command;
  assert.equal(cmd?.$case, "registrations");
  if (cmd?.$case !== "registrations") return;
  assert.equal(cmd.value.hash, hash);
  // Up to date: nothing sent; offline children wait.
  heartbeat("leaf", hash);
  heartbeat("offline", "");
  await down.idle();
  assert.equal(sent.length, 1);
  // A change is pushed at once to the children seen.
  local = [];
  down.changed();
  await down.idle();
  assert.equal(sent.length, 2);
  assert.equal(sent[1].child, "leaf");
  // A failed send is retried on the next heartbeat, not in a loop.
  setFail(true);
  local = [{ metadata: { name: "x" }, spec: {} }];
  down.changed();
  await down.idle();
  assert.equal(sent.length, 3);
  setFail(false);
  heartbeat("leaf", "stale");
  await down.idle();
  assert.equal(sent.length, 4);
  down.close();
  heartbeat("leaf", "other");
  await down.idle();
  assert.equal(sent.length, 4);
});

Deno.test("the child stores a verified set and reports its hash", async () => {
  const applied: unknown[] = [];
  const client = {
    apply: (o: unknown) => (applied.push(o), Promise.resolve(o)),
  } as unknown as KubeClient;
  const hash = new InheritedHash();
  let stored = 0;
  const handlers = registrationHandlers(client, hash, { onStored: () => stored++ });
  const set = handDown("root", [{ metadata: { name: "a" }, spec: { y: 2 } }], []);
  const h = registrationsHash(set);
  const ctx = { clusterName: "leaf", logger: silentLogger } as Parameters<
    NonNullable<typeof handlers.registrations>
  >[1];
  const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)) as never;
  await handlers.registrations!({ hash: h, registrations: bytes(set) }, ctx);
  assert.equal(hash.value, h);
  assert.equal(stored, 1);
  const cm = applied[0] as {
    metadata: { annotations: Record<string, string> };
    data: Record<string, string>;
  };
  assert.equal(cm.metadata.annotations["lattice.dev/registrations-hash"], h);
  assert.deepEqual(JSON.parse(cm.data["registrations.json"]), set);
  await assert.rejects(
    async () => await handlers.registrations!({ hash: "nope", registrations: bytes(set) }, ctx),
    /hash does not match/,
  );
  await assert.rejects(
    async () => await handlers.registrations!({ hash: h, registrations: bytes({}) }, ctx),
    /not a list/,
  );
  assert.equal(applied.length, 1);
});
