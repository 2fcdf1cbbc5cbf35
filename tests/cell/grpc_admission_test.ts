import assert from "node:assert/strict";
import { AgentClient } from "../../lib/agent/mod.ts";
import { issueAgent, nextEvent, startCell, testPki, whenConnected } from "../agent/_fixtures.ts";

const pki = await testPki();

Deno.test("a paced cell refuses a stream with a retry hint; the agent comes back after it", async () => {
  // One admission per 4 s: the first agent takes it, the second is told when to retry.
  const cell = await startCell(pki, {
    admission: { maxConcurrent: 1, perSecond: 0.25, burst: 1 },
  });
  const first = new AgentClient({
    address: cell.address,
    clusterName: "paced-a",
    credentials: await issueAgent(pki, "paced-a"),
  });
  const second = new AgentClient({
    address: cell.address,
    clusterName: "paced-b",
    credentials: await issueAgent(pki, "paced-b"),
    // Its own backoff would wait a minute: coming back sooner proves the hint was used.
    backoff: { initialMs: 60_000, maxMs: 60_000 },
  });
  const refusals: { error?: string; retryInMs: number }[] = [];
  second.subscribe((e) => {
    if (e.type === "disconnected" && /RESOURCE_EXHAUSTED/.test(e.error ?? "")) refusals.push(e);
  });
  try {
    first.start();
    await whenConnected(cell.registry, "paced-a");
    const back = nextEvent(second, "connected", 30_000);
    second.start();
    while (refusals.length === 0) await nextEvent(second, "disconnected", 30_000);
    const event = refusals[0];
    const hint = Number(/retry in (\d+) ms/.exec(event.error ?? "")?.[1]);
    // Rounded up to whole milliseconds: at most one over the 4 s interval.
    assert.ok(hint > 0 && hint <= 4_001, `hint ${hint} ms within the pacing interval`);
    assert.ok(event.retryInMs >= hint && event.retryInMs <= Math.ceil(hint * 1.2) + 1);
    await back;
    await whenConnected(cell.registry, "paced-b");
    const stats = cell.server.pacer!.stats;
    assert.equal(stats.inFlight, 0);
    assert.ok(stats.refused >= 1);
    assert.equal(stats.peakInFlight, 1);
  } finally {
    await first.stop();
    await second.stop();
    await cell.close();
  }
});

Deno.test("pacing off: every stream is admitted and no pacer is exposed", async () => {
  const cell = await startCell(pki, { admission: false });
  const agent = new AgentClient({
    address: cell.address,
    clusterName: "unpaced",
    credentials: await issueAgent(pki, "unpaced"),
  });
  try {
    agent.start();
    await whenConnected(cell.registry, "unpaced");
    assert.equal(cell.server.pacer, undefined);
  } finally {
    await agent.stop();
    await cell.close();
  }
});
