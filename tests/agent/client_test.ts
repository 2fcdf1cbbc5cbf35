import assert from "node:assert/strict";
import { AgentClient, type AgentClientEvent, openChannel } from "../../lib/agent/mod.ts";
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
    const up = nextEvent(agent, "connected");
    agent.start();
    await whenConnected(cell.registry, "roamer");
    await up; // the cell has answered: the stream was established
    await cell.close();
    // Wait for five failed attempts while the cell is down: the first retry after the lost
    // stream is spread over 10 × initialMs (random 0.5 → 200 ms), then the backoff grows.
    while (downs.length < 6) await nextEvent(agent, "disconnected");
    const delays = downs.map((d) => d.retryInMs);
    assert.deepEqual(delays.slice(0, 6), [200, 30, 60, 120, 240, 240]);
    cell = await startCell(pki, { port });
    const back = await nextEvent(agent, "connected");
    assert.ok(back.attempt >= 4, `reconnected on attempt ${back.attempt}`);
    await whenConnected(cell.registry, "roamer");
    // The backoff restarts from the beginning after a successful connection.
    const again = nextEvent(agent, "disconnected");
    await cell.close();
    assert.equal((await again).retryInMs, 200);
  } finally {
    await agent.stop();
    await cell.close();
  }
});

Deno.test("rotation: a certificate due for renewal is replaced and the stream continues", async () => {
  let cell = await startCell(pki);
  const port = cell.server.port;
  const original = await issueAgent(pki, "rotor", { validityDays: 1 });
  const saved: string[] = [];
  const agent = new AgentClient({
    address: cell.address,
    clusterName: "rotor",
    credentials: original,
    renewBeforeMs: 10 * 24 * 3600_000, // a 1-day certificate: due at once
    onCredentials: (c) => Promise.resolve(void saved.push(c.certPem)),
    heartbeatIntervalMs: 250,
    backoff: { initialMs: 20, maxMs: 100 },
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

    // A cell whose clock is two days ahead refuses the original certificate: the agent
    // gets back in, so it reconnected with the rotated one.
    const back = nextEvent(agent, "connected");
    await cell.close();
    cell = await startCell(pki, { port, now: () => Date.now() + 2 * 24 * 3600_000 });
    await back;
    await whenConnected(cell.registry, "rotor");
  } finally {
    await agent.stop();
    await cell.close();
  }
});

Deno.test("a renewal the cell cannot sign leaves the old certificate in use", async () => {
  const cell = await startCell(pki, { signCsr: () => Promise.reject(new Error("CA offline")) });
  // Due for renewal (the cell signs renewals only near expiry).
  const creds = await issueAgent(pki, "stuck", { validityDays: 1 });
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

Deno.test("the agent dials DNS names and IP addresses, nothing else", async () => {
  const credentials = await issueAgent(pki, "ip");
  for (const address of ["127.0.0.1:443", "[::1]:443", "localhost:443"]) {
    openChannel(address, credentials).close();
    new AgentClient({ address, clusterName: "ip", credentials });
  }
  for (const address of ["localhost", "::1:443", ":443"]) {
    assert.throws(() => openChannel(address, credentials), /expected host:port/);
  }
});

/** An agent with the given health source, and the readyNodes of each ClusterHealth seen. */
async function healthAgent(name: string, healthIntervalMs: number, health: () => number) {
  const cell = await startCell(pki);
  const agent = new AgentClient({
    address: cell.address,
    clusterName: name,
    credentials: await issueAgent(pki, name),
    heartbeatIntervalMs: 50,
    healthIntervalMs,
    health: () => Promise.resolve({ readyNodes: health(), totalNodes: 9, conditions: [] }),
  });
  const seen: number[] = [];
  let notify = () => {};
  cell.registry.subscribe((e) => {
    if (e.type !== "health") return;
    seen.push(e.info.health!.readyNodes);
    notify();
  });
  return {
    seen,
    /** Resolves at the next ClusterHealth. */
    next: () => new Promise<void>((resolve) => notify = resolve),
    start: () => agent.start(),
    async stop() {
      await agent.stop();
      await cell.close();
    },
  };
}

Deno.test("an unchanged ClusterHealth is sent on connect and again every health interval", async () => {
  const h = await healthAgent("healthy", 200, () => 9);
  try {
    h.start();
    while (h.seen.length < 3) await h.next();
    assert.deepEqual(h.seen, [9, 9, 9]);
  } finally {
    await h.stop();
  }
});

Deno.test("a change of health is sent within a heartbeat, an unchanged one only per interval", async () => {
  let ready = 2;
  let reads = 0;
  const h = await healthAgent("scaling", 60_000, () => {
    reads++;
    return ready;
  });
  try {
    const first = h.next();
    h.start();
    await first;
    // Several heartbeats read the same health: nothing more is sent.
    while (reads < 5) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(h.seen, [2]);
    const changed = h.next();
    ready = 3;
    await changed;
    assert.deepEqual(h.seen, [2, 3]);
  } finally {
    await h.stop();
  }
});

Deno.test("a stream the cell has not answered yet is not dropped after three heartbeats", async () => {
  // The cell holds the stream in admission (a paced storm); heartbeats are 50 ms apart.
  let release = () => {};
  const held = new Promise<undefined>((resolve) => release = () => resolve(undefined));
  const cell = await startCell(pki, { admit: () => held });
  const agent = new AgentClient({
    address: cell.address,
    clusterName: "patient",
    credentials: await issueAgent(pki, "patient"),
    heartbeatIntervalMs: 50,
  });
  const downs: string[] = [];
  agent.subscribe((e) => e.type === "disconnected" && downs.push(e.error ?? "ended"));
  try {
    const connected = nextEvent(agent, "connected");
    agent.start();
    await new Promise((r) => setTimeout(r, 600)); // twelve heartbeat intervals
    assert.deepEqual(downs, []);
    release();
    await connected;
    await whenConnected(cell.registry, "patient");
  } finally {
    release();
    await agent.stop();
    await cell.close();
  }
});
