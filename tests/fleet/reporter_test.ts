import assert from "node:assert/strict";
import { FleetReporter, FleetState } from "../../lib/fleet/mod.ts";
import type { AgentPayload } from "../../lib/agent/handlers.ts";
import type { FleetSubtreeUpdate } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { entry } from "./_fixtures.ts";

function collector() {
  const sent: FleetSubtreeUpdate[] = [];
  let open = true;
  return {
    sent,
    close: () => open = false,
    send: (p: AgentPayload) => {
      if (!open) return false;
      if (p.$case === "fleetSubtree") sent.push(p.value);
      return true;
    },
  };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("the reporter: snapshot on connect, batched deltas, resync, nothing while away", async () => {
  const state = new FleetState("cell");
  state.setSelf(entry("cell", "root", { cell: true }));
  const reporter = new FleetReporter(state, { flushDelayMs: 20 });
  try {
    const link = collector();
    reporter.connected(link.send);
    assert.deepEqual(link.sent.map((u) => [u.sequence, u.reset, u.upserts.length]), [[1, true, 1]]);

    // Three changes within the delay become one delta.
    state.setLocalChild("a", { summary: entry("a", "cell"), pivoted: true });
    state.setLocalChild("b", { summary: entry("b", "cell"), pivoted: true });
    state.setLocalChild("a", { summary: entry("a", "cell", { phase: "Failed" }), pivoted: true });
    await tick(60);
    assert.equal(link.sent.length, 2);
    assert.deepEqual(link.sent[1].upserts.map((e) => [e.name, e.phase]).sort(), [
      ["a", "Failed"],
      ["b", "Ready"],
    ]);
    assert.equal(link.sent[1].sequence, 2);

    reporter.resync("test");
    assert.equal(link.sent.length, 3);
    assert.equal(link.sent[2].reset, true);
    assert.equal(link.sent[2].sequence, 1);
    assert.equal(link.sent[2].upserts.length, 3);

    // The stream fails mid-way: nothing more is sent until the next connect.
    link.close();
    state.retainChildren(new Set(["a"]));
    await tick(60);
    reporter.disconnected();
    state.retainChildren(new Set());
    await tick(60);
    const next = collector();
    reporter.connected(next.send);
    assert.deepEqual(next.sent.map((u) => [u.reset, u.upserts.map((e) => e.name)]), [[true, [
      "cell",
    ]]]);
    assert.equal(reporter.sent, 4);
  } finally {
    reporter.stop();
  }
});
