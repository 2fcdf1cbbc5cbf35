import assert from "node:assert/strict";
import { AgentClient, type AgentClientEvent } from "../../lib/agent/mod.ts";
import { certificateIdentity } from "../../lib/pki/mod.ts";
import { issueAgent, nextEvent, startCell, testPki, whenConnected } from "./_fixtures.ts";

const pki = await testPki();

Deno.test("a killed cell: the agent retries with growing delays and reconnects", async () => {
  let cell = await startCell(pki);
  const port = cell.server.port;
  const agent = new AgentClient({
    address: cell.address,
    clusterName: "roamer",
    credentials: await issueAgent(pki, "roamer"),
    backoff: { initialMs: 40, maxMs: 320, random: () => 0.5 },
  });
  const downs: Extract<AgentClientEvent, { type: "disconnected" }>[] = [];
  agent.subscribe((e) => e.type === "disconnected" && downs.push(e));
  try {
    agent.start();
    await whenConnected(cell.registry, "roamer");
    await cell.close();
    // Wait for five failed attempts while the cell is down.
    while (downs.length < 6) await nextEvent(agent, "disconnected");
    const delays = downs.map((d) => d.retryInMs);
    assert.deepEqual(delays.slice(0, 6), [30, 60, 120, 240, 240, 240]);
    cell = await startCell(pki, { port });
    const back = await nextEvent(agent, "connected");
    assert.ok(back.attempt >= 5, `reconnected on attempt ${back.attempt}`);
    await whenConnected(cell.registry, "roamer");
    // The backoff restarts from the beginning after a successful connection.
    const again = nextEvent(agent, "disconnected");
    await cell.close();
    assert.equal((await again).retryInMs, 30);
  } finally {
    await agent.stop();
    await cell.close();
  }
});

Deno.test("rotation: a certificate due for renewal is replaced and the stream continues", async () => {
  const cell = await startCell(pki);
  const original = await issueAgent(pki, "rotor", { validityDays: 5 });
  const saved: string[] = [];
  const agent = new AgentClient({
    address: cell.address,
    clusterName: "rotor",
    credentials: original,
    renewBeforeMs: 10 * 24 * 3600_000, // 5-day certificate: due at once
    onCredentials: (c) => Promise.resolve(void saved.push(c.certPem)),
    heartbeatIntervalMs: 250,
  });
  let drops = 0;
  agent.subscribe((e) => {
    if (e.type === "disconnected") drops++;
  });
  try {
    const renewed = nextEvent(agent, "renewed");
    agent.start();
    const { certPem } = await renewed;
    assert.notEqual(certPem, original.certPem);
    assert.equal(certificateIdentity(certPem), "rotor");
    assert.deepEqual(saved, [certPem]);
    assert.equal(agent.credentials.certPem, certPem);
    assert.notEqual(agent.credentials.keyPem, original.keyPem);
    // The same stream goes on: heartbeats answered, commands acknowledged, no reconnect.
    await nextEvent(agent, "heartbeatAck");
    const ack = await cell.registry.sendCommand("rotor", { $case: "statusRequest", value: {} });
    assert.equal(ack.ok, true);
    assert.equal(drops, 0);
  } finally {
    await agent.stop();
  }
  // The new certificate and key are accepted on a new connection.
  const next = new AgentClient({
    address: cell.address,
    clusterName: "rotor",
    credentials: agent.credentials,
  });
  try {
    const connected = nextEvent(next, "connected");
    next.start();
    await connected;
  } finally {
    await next.stop();
    await cell.close();
  }
});

Deno.test("a renewal the cell cannot sign leaves the old certificate in use", async () => {
  const cell = await startCell(pki, { signCsr: () => Promise.reject(new Error("CA offline")) });
  const creds = await issueAgent(pki, "stuck");
  const agent = new AgentClient({
    address: cell.address,
    clusterName: "stuck",
    credentials: creds,
  });
  try {
    const connected = nextEvent(agent, "connected");
    agent.start();
    await connected;
    await assert.rejects(agent.renewCertificate(), /Cannot renew certificate: .*CA offline/);
    assert.equal(agent.credentials.certPem, creds.certPem);
    assert.equal(agent.connected, true);
  } finally {
    await agent.stop();
    await cell.close();
  }
});
