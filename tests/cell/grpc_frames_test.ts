/**
 * Stream isolation: a malformed or oversized frame, or a replaced stream, ends only that
 * stream; others keep working.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Client, credentials, type ServiceError } from "@grpc/grpc-js";
import { AgentClient, type AgentCredentials } from "../../lib/agent/mod.ts";
import { AgentMessage } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { issueAgent, nextEvent, startCell, testPki, whenConnected } from "../agent/_fixtures.ts";

const pki = await testPki();

/** Opens a Connect stream that writes raw bytes; resolves with the status it ends with. */
function rawStream(address: string, creds: AgentCredentials, frames: Uint8Array[]) {
  const client = new Client(
    address,
    credentials.createSsl(
      Buffer.from(creds.caPem),
      Buffer.from(creds.keyPem),
      Buffer.from(creds.certPem),
    ),
    { "grpc.use_local_subchannel_pool": 1 },
  );
  const call = client.makeBidiStreamRequest(
    "/lattice.agent.v1.LatticeAgent/Connect",
    (bytes: Uint8Array) => Buffer.from(bytes),
    (bytes: Buffer) => bytes,
  );
  const ended = new Promise<string>((resolve) => {
    call.on("error", (error: ServiceError) => resolve(`${error.code} ${error.details}`));
    call.on("data", () => {});
    call.on("end", () => resolve("end"));
  }).finally(() => client.close());
  for (const frame of frames) call.write(frame);
  return ended;
}

function hello(clusterName: string): Uint8Array {
  return AgentMessage.encode({
    clusterName,
    payload: { $case: "ready", value: { agentVersion: "raw", kubernetesVersion: "" } },
  }).finish();
}

async function healthyAgent(address: string, name: string) {
  const agent = new AgentClient({
    address,
    clusterName: name,
    credentials: await issueAgent(pki, name),
    heartbeatIntervalMs: 250,
  });
  agent.start();
  return agent;
}

Deno.test("a garbage frame closes only its own stream", async () => {
  const cell = await startCell(pki);
  const good = await healthyAgent(cell.address, "good");
  try {
    await whenConnected(cell.registry, "good");
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99]);
    const status = await rawStream(cell.address, await issueAgent(pki, "bad"), [
      hello("bad"),
      garbage,
    ]);
    assert.match(status, /^13 /); // INTERNAL: the frame could not be decoded
    assert.equal(cell.registry.get("bad")?.connected, false);
    // The healthy stream still answers commands and heartbeats.
    await nextEvent(good, "heartbeatAck");
    const ack = await cell.registry.sendCommand("good", { $case: "statusRequest", value: {} });
    assert.equal(ack.ok, true);
  } finally {
    await good.stop();
    await cell.close();
  }
});

Deno.test("an oversized frame closes only its own stream", async () => {
  const cell = await startCell(pki, { maxMessageBytes: 64 * 1024 });
  const good = await healthyAgent(cell.address, "good");
  try {
    await whenConnected(cell.registry, "good");
    const big = AgentMessage.encode({
      clusterName: "big",
      payload: {
        $case: "k8sResponse",
        value: {
          requestId: "r",
          status: 200,
          headers: {},
          body: Buffer.alloc(256 * 1024, 1),
          endOfStream: true,
        },
      },
    }).finish();
    const status = await rawStream(cell.address, await issueAgent(pki, "big"), [
      hello("big"),
      big,
    ]);
    assert.match(status, /^8 /); // RESOURCE_EXHAUSTED
    await nextEvent(good, "heartbeatAck");
    assert.equal(cell.registry.get("good")?.connected, true);
  } finally {
    await good.stop();
    await cell.close();
  }
});

Deno.test("a reconnecting agent replaces its old stream", async () => {
  const cell = await startCell(pki);
  const creds = await issueAgent(pki, "twin");
  try {
    const first = rawStream(cell.address, creds, [hello("twin")]);
    await whenConnected(cell.registry, "twin");
    const events: string[] = [];
    cell.registry.subscribe((e) => events.push(`${e.type}`));
    const second = rawStream(cell.address, creds, [hello("twin")]);
    assert.match(await first, /^10 .*Replaced/); // ABORTED
    assert.equal(cell.registry.get("twin")?.connected, true);
    assert.ok(!events.includes("disconnected"), events.join());
    cell.registry.close();
    await second;
  } finally {
    await cell.close();
  }
});

Deno.test("the cell refuses an expired certificate even if TLS let it through", async () => {
  // The server's clock is 60 days ahead: the handshake (real time) passes, our check fails.
  const cell = await startCell(pki, { now: () => Date.now() + 60 * 24 * 3600_000 });
  try {
    const status = await rawStream(cell.address, await issueAgent(pki, "old"), [hello("old")]);
    assert.match(status, /^16 .*expired/); // UNAUTHENTICATED
    assert.equal(cell.registry.get("old"), undefined);
  } finally {
    await cell.close();
  }
});

Deno.test("a stream that never says hello is closed after the hello timeout", async () => {
  const cell = await startCell(pki, { helloTimeoutMs: 100 });
  try {
    const status = await rawStream(cell.address, await issueAgent(pki, "mute"), []);
    assert.match(status, /^4 .*no message/); // DEADLINE_EXCEEDED
    assert.equal(cell.registry.get("mute"), undefined);
  } finally {
    await cell.close();
  }
});
