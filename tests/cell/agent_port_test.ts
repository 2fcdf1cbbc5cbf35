/**
 * The agent (gRPC) port under connection abuse, on real sockets (loopback, bounded
 * counts): it had no connection cap, no rate of new connections and no handshake timeout
 * (grpc-js has none), so half-open and idle connections were held for ever. Now a TCP
 * front admits or refuses before any TLS work and closes what does not open a gRPC call
 * in time — observed from the client's side — while a real agent stays connected.
 */
import assert from "node:assert/strict";
import { AgentClient } from "../../lib/agent/mod.ts";
import { issueAgent, startCell, testPki, whenConnected } from "../agent/_fixtures.ts";
import { until } from "../_until.ts";

const pki = await testPki();

/** A TCP connection from `localAddress` that never starts TLS. */
async function halfOpen(port: number, localAddress: string): Promise<Deno.Conn> {
  const { default: net } = await import("node:net");
  // Deno.connect cannot choose the source address: use node:net's, wrapped.
  return await new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress }, () => {
      const closed = new Promise<null>((r) => socket.once("close", () => r(null)));
      socket.resume();
      resolve({
        read: () => closed,
        close: () => socket.destroy(),
      } as unknown as Deno.Conn);
    });
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

async function closedWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    conn.read(new Uint8Array(1)).then(() => true, () => true),
    new Promise<false>((r) => timer = setTimeout(() => r(false), ms)),
  ]);
  clearTimeout(timer);
  return closed;
}

Deno.test("agent port: half-open connections are capped per address and time out", async () => {
  const cell = await startCell(pki, {
    host: "127.0.0.1",
    portLimits: { maxConnectionsPerClient: 5, establishTimeoutMs: 1_500, tarpitMs: 0 },
  });
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 20; i++) conns.push(await halfOpen(cell.server.port, "127.0.0.21"));
    // Over the cap: refused and closed at once.
    const refused = await Promise.all(conns.slice(5).map((c) => closedWithin(c, 3_000)));
    assert.ok(refused.every(Boolean), JSON.stringify(refused));
    // Within the cap, but no gRPC call: closed after the establish timeout.
    const timedOut = await Promise.all(conns.slice(0, 5).map((c) => closedWithin(c, 10_000)));
    assert.ok(timedOut.every(Boolean), JSON.stringify(timedOut));
  } finally {
    for (const c of conns) c.close();
    await cell.close();
  }
});

Deno.test("agent port: new connections per address are rate-limited", async () => {
  const cell = await startCell(pki, {
    host: "127.0.0.1",
    portLimits: { connectionRate: { burst: 5, perMinute: 1 }, tarpitMs: 0 },
  });
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 15; i++) conns.push(await halfOpen(cell.server.port, "127.0.0.22"));
    const closed = await Promise.all(conns.map((c) => closedWithin(c, 2_000)));
    assert.equal(closed.filter(Boolean).length, 10, JSON.stringify(closed));
  } finally {
    for (const c of conns) c.close();
    await cell.close();
  }
});

Deno.test("agent port: a real agent connects through the front and stays", async () => {
  const cell = await startCell(pki, { portLimits: { establishTimeoutMs: 500 } });
  const agent = new AgentClient({
    address: cell.address,
    clusterName: "child-port",
    credentials: await issueAgent(pki, "child-port"),
  });
  try {
    agent.start();
    await whenConnected(cell.registry, "child-port");
    // Past the establish timeout: its connection opened a call, so it is kept.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(cell.registry.get("child-port")?.connected, true);
    const ack = await cell.registry.sendCommand("child-port", {
      $case: "statusRequest",
      value: {},
    });
    assert.equal(ack.ok, true);
    await until(
      "still connected",
      () => Promise.resolve(cell.registry.get("child-port")?.connected ? true : undefined),
      5_000,
    );
  } finally {
    await agent.stop();
    await cell.close();
  }
});
