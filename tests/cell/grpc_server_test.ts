import assert from "node:assert/strict";
import { AgentClient } from "../../lib/agent/mod.ts";
import { CommandFailedError } from "../../lib/cell/registry.ts";
import { createCa } from "../../lib/pki/mod.ts";
import { issueAgent, nextEvent, startCell, testPki, whenConnected } from "../agent/_fixtures.ts";

const pki = await testPki();

Deno.test("an agent connects: registry shows it, commands are acknowledged", async () => {
  const cell = await startCell(pki);
  let reconciles = 0;
  const agent = new AgentClient({
    address: cell.address,
    clusterName: "child-a",
    credentials: await issueAgent(pki, "child-a"),
    agentVersion: "9.9.9",
    kubernetesVersion: () => Promise.resolve("v1.36.3"),
    health: () => Promise.resolve({ readyNodes: 2, totalNodes: 3, conditions: [] }),
    handlers: { reconcile: () => void reconciles++ },
  });
  try {
    const connected = nextEvent(agent, "connected");
    agent.start();
    await connected;
    await whenConnected(cell.registry, "child-a");
    const info = cell.registry.get("child-a")!;
    assert.equal(info.connected, true);
    assert.equal(info.agentVersion, "9.9.9");
    assert.equal(info.kubernetesVersion, "v1.36.3");

    const ack = await cell.registry.sendCommand("child-a", { $case: "reconcile", value: {} });
    assert.equal(ack.ok, true);
    assert.equal(reconciles, 1);
    // StatusRequest is answered by ClusterHealth (a default handler) and an ack.
    await cell.registry.sendCommand("child-a", { $case: "statusRequest", value: {} });
    assert.deepEqual(cell.registry.get("child-a")?.health, {
      readyNodes: 2,
      totalNodes: 3,
      conditions: [],
    });
  } finally {
    await agent.stop();
    await cell.close();
  }
});

Deno.test("a command without a handler gets an error ack, the stream survives", async () => {
  const cell = await startCell(pki);
  const agent = new AgentClient({
    address: cell.address,
    clusterName: "child-b",
    credentials: await issueAgent(pki, "child-b"),
  });
  try {
    agent.start();
    await whenConnected(cell.registry, "child-b");
    await assert.rejects(
      cell.registry.sendCommand("child-b", {
        $case: "upgradeFlux",
        value: { version: "2.3.0", force: false },
      }),
      (error: unknown) =>
        error instanceof CommandFailedError && /no handler for upgradeFlux/.test(error.message),
    );
    await cell.registry.sendCommand("child-b", { $case: "statusRequest", value: {} });
    assert.equal(agent.connected, true);
    assert.equal(cell.registry.get("child-b")?.connected, true);
  } finally {
    await agent.stop();
    await cell.close();
  }
});

/** Runs an agent until its first refusal and returns the error text. */
async function refusal(
  address: string,
  clusterName: string,
  credentials: Awaited<ReturnType<typeof issueAgent>>,
): Promise<string> {
  const agent = new AgentClient({
    address,
    clusterName,
    credentials,
    backoff: { initialMs: 10_000 },
  });
  try {
    const down = nextEvent(agent, "disconnected");
    agent.start();
    return (await down).error ?? "";
  } finally {
    await agent.stop();
  }
}

Deno.test("a certificate from another CA is refused at the TLS handshake", async () => {
  const cell = await startCell(pki);
  try {
    const other = await createCa({ commonName: "intruder" });
    const error = await refusal(
      cell.address,
      "child-c",
      await issueAgent(pki, "child-c", { ca: other }),
    );
    assert.match(error, /UNAVAILABLE/);
    assert.equal(cell.registry.get("child-c"), undefined);
  } finally {
    await cell.close();
  }
});

Deno.test("an expired certificate is refused", async () => {
  const cell = await startCell(pki);
  try {
    const past = new Date(Date.now() - 3 * 24 * 3600_000);
    const creds = await issueAgent(pki, "child-d", { validityDays: 1, now: past });
    const error = await refusal(cell.address, "child-d", creds);
    assert.match(error, /UNAVAILABLE|UNAUTHENTICATED/);
    assert.equal(cell.registry.get("child-d"), undefined);
  } finally {
    await cell.close();
  }
});

Deno.test("a cluster name that differs from the certificate is refused before any command", async () => {
  const cell = await startCell(pki);
  const seen: string[] = [];
  cell.registry.subscribe((e) => seen.push(e.type));
  try {
    const error = await refusal(cell.address, "child-f", await issueAgent(pki, "child-e"));
    assert.match(error, /PERMISSION_DENIED.*not the certificate identity/);
    assert.deepEqual(seen, []);
    assert.deepEqual(cell.registry.list(), []);
  } finally {
    await cell.close();
  }
});
