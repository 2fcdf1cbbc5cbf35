import assert from "node:assert/strict";
import {
  DEFAULT_FLEET_LIMITS,
  FleetState,
  mergeChild,
  sanitizeSummary,
  SubtreeEncoder,
} from "../../lib/fleet/mod.ts";
import { deliver, entry, Link, wire } from "./_fixtures.ts";

/** root ← mgmt ← {workload, edge}: each level a FleetState, linked like agents link them. */
function threeLevels() {
  const root = new FleetState("root");
  const mgmt = new FleetState("mgmt");
  const workload = new FleetState("workload");
  root.setLocalChild("mgmt", { summary: entry("mgmt", "root", { cell: true }), pivoted: true });
  mgmt.setSelf(entry("mgmt", "root", { cell: true, kubernetesVersion: "1.31.0" }));
  mgmt.setLocalChild("workload", {
    summary: entry("workload", "mgmt", { agentConnected: true }),
    pivoted: true,
  });
  workload.setSelf(entry("workload", "mgmt", { nodesReady: 3, nodesTotal: 3 }));
  const low = new Link(workload, mgmt);
  const high = new Link(mgmt, root);
  low.connect();
  high.connect();
  return { root, mgmt, workload, low, high };
}

Deno.test("a snapshot up two levels lets the root see every cluster", () => {
  const { root } = threeLevels();
  assert.deepEqual(root.entries().map((e) => [e.name, e.parent]), [
    ["root", ""],
    ["mgmt", "root"],
    ["workload", "mgmt"],
  ]);
  const w = root.get("workload")!;
  assert.equal(w.nodesTotal, 3);
  assert.equal(w.agentConnected, true, "the link as mgmt sees it");
  assert.equal(w.stale, false);
});

Deno.test("a phase change travels up as a delta of one entry per level", () => {
  const { root, workload, low, high } = threeLevels();
  const seen: string[][] = [];
  root.subscribe((names) => seen.push([...names]));
  workload.setSelf(entry("workload", "mgmt", { phase: "Failed", nodesReady: 3, nodesTotal: 3 }));
  const before = high.encoder.sentCount;
  low.flush();
  high.flush();
  assert.equal(root.get("workload")!.phase, "Failed");
  assert.deepEqual(seen, [["workload"]]);
  assert.equal(high.encoder.sentCount, before);
  // Nothing changed: nothing is sent.
  assert.deepEqual(high.encoder.delta(root, ["workload", "mgmt"]), []);
});

Deno.test("deltas add and remove clusters; a removed cell takes its subtree along", () => {
  const { root, mgmt, low, high } = threeLevels();
  const region = new FleetState("region");
  mgmt.setLocalChild("region", { summary: entry("region", "mgmt", { cell: true }), pivoted: true });
  region.setSelf(entry("region", "mgmt", { cell: true }));
  for (let i = 0; i < 5; i++) {
    region.setLocalChild(`edge-${i}`, { summary: entry(`edge-${i}`, "region"), pivoted: true });
  }
  new Link(region, mgmt).connect();
  high.flush();
  assert.equal(root.size, 9);
  assert.equal(root.get("edge-3")!.parent, "region");
  mgmt.retainChildren(new Set(["workload"]));
  high.flush();
  assert.equal(root.size, 3);
  assert.equal(root.get("edge-3"), undefined);
  low.flush();
});

Deno.test("a child may only describe its own subtree", () => {
  const root = new FleetState("root");
  root.setLocalChild("a", { summary: entry("a", "root"), pivoted: true });
  root.setLocalChild("b", { summary: entry("b", "root"), pivoted: true });
  const refused = deliver(root, "a", [{
    sequence: 1,
    reset: true,
    more: false,
    upserts: [
      entry("a", "somewhere-else"),
      entry("a-1", "a"),
      entry("root", "a"), // this cell
      entry("b", "a"), // a sibling
      entry("ghost", "nobody"), // parent outside the subtree
      entry("Bad_Name", "a"),
    ],
    removals: [],
    truncated: 0,
  }]);
  assert.equal(refused, 4);
  assert.equal(root.get("a")!.parent, "root", "a child's parent is always this cell");
  assert.equal(root.get("b")!.parent, "root");
  assert.equal(root.get("ghost"), undefined);
  assert.equal(root.truncated, 4, "refused entries are counted as truncated");
  // b cannot claim a's clusters either.
  assert.equal(
    deliver(root, "b", [{
      sequence: 1,
      reset: true,
      more: false,
      upserts: [entry("b", "root"), entry("a-1", "b")],
      removals: [],
      truncated: 0,
    }]),
    1,
  );
  assert.equal(root.get("a-1")!.parent, "a");
});

Deno.test("the total is capped: beyond maxClusters entries are refused and counted", () => {
  const root = new FleetState("root", { limits: { maxClusters: 50 } });
  root.setLocalChild("big", { summary: entry("big", "root", { cell: true }), pivoted: true });
  const big = new FleetState("big");
  for (let i = 0; i < 100; i++) {
    big.setLocalChild(`c-${i}`, { summary: entry(`c-${i}`, "big"), pivoted: true });
  }
  const refused = new Link(big, root).connect();
  assert.equal(root.size, 50);
  assert.equal(refused, 52);
  assert.equal(root.truncated, 52);
});

Deno.test("a sequence gap or a delta before any snapshot asks for a resync", () => {
  const root = new FleetState("root");
  root.setLocalChild("a", { summary: entry("a", "root"), pivoted: true });
  const delta = { sequence: 1, reset: false, more: false, upserts: [], removals: [], truncated: 0 };
  assert.match(root.apply("a", wire(delta)).resync ?? "", /no snapshot/);
  const a = new FleetState("a");
  const link = new Link(a, root);
  link.connect();
  assert.match(root.apply("a", wire({ ...delta, sequence: 7 })).resync ?? "", /sequence 7/);
  // The resync: a new snapshot is always accepted.
  assert.equal(link.connect(), 0);
  assert.equal(root.apply("a", wire({ ...delta, sequence: 2 })).resync, undefined);
});

Deno.test("a link down marks the whole subtree stale; the next snapshot heals it", () => {
  const { root, mgmt, workload, high } = threeLevels();
  root.linkDown("mgmt");
  assert.equal(root.get("mgmt")!.stale, true);
  assert.equal(root.get("workload")!.stale, true);
  assert.equal(root.get("root")!.stale, false);
  // While down, workload goes away below; the reconnect's snapshot drops it.
  mgmt.retainChildren(new Set());
  assert.equal(workload.size, 1);
  root.linkUp("mgmt");
  high.connect();
  assert.equal(root.get("mgmt")!.stale, false);
  assert.equal(root.get("workload"), undefined);
});

Deno.test("snapshots are chunked and only complete when the last chunk arrives", () => {
  const root = new FleetState("root");
  root.setLocalChild("big", { summary: entry("big", "root", { cell: true }), pivoted: true });
  const big = new FleetState("big");
  for (let i = 0; i < 1_200; i++) {
    big.setLocalChild(`c-${i}`, { summary: entry(`c-${i}`, "big"), pivoted: true });
  }
  const chunks = new SubtreeEncoder().snapshot(big);
  assert.equal(chunks.length, 3);
  assert.deepEqual(chunks.map((c) => [c.reset, c.more]), [[true, true], [false, true], [
    false,
    false,
  ]]);
  deliver(root, "big", chunks);
  assert.equal(root.size, 1_202);
  // A second snapshot without c-0: only when it completes is c-0 gone.
  big.retainChildren(new Set([...Array(1_200).keys()].slice(1).map((i) => `c-${i}`)));
  const again = new SubtreeEncoder().snapshot(big);
  deliver(root, "big", again.slice(0, 2));
  assert.ok(root.get("c-0"));
  deliver(root, "big", again.slice(2));
  assert.equal(root.get("c-0"), undefined);
});

Deno.test("churn does not grow the state: created and deleted clusters leave nothing", () => {
  const root = new FleetState("root");
  root.setLocalChild("cell", { summary: entry("cell", "root", { cell: true }), pivoted: true });
  const cell = new FleetState("cell");
  const link = new Link(cell, root);
  link.connect();
  for (let round = 0; round < 20; round++) {
    const names = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const name = `r${round}-c${i}`;
      names.add(name);
      cell.setLocalChild(name, { summary: entry(name, "cell"), pivoted: true });
    }
    link.flush();
    assert.equal(root.size, 102);
    cell.retainChildren(new Set());
    link.flush();
    assert.equal(root.size, 2);
  }
  assert.equal(link.encoder.sentCount, 1);
});

Deno.test("entries are cut to the limits", () => {
  const long = "x".repeat(10_000);
  const s = sanitizeSummary(entry("a", "root", {
    phase: long,
    labels: Object.fromEntries([...Array(100).keys()].map((i) => [`k${i}`, long])),
    conditions: [...Array(50).keys()].map((i) => ({
      type: `T${i}`,
      status: "True",
      reason: long,
      message: long,
    })),
    services: [...Array(500).keys()].map((i) => `s${i}`),
    nodesTotal: -5,
  }))!;
  assert.equal(s.phase.length, 32);
  assert.equal(Object.keys(s.labels).length, DEFAULT_FLEET_LIMITS.maxLabels);
  assert.equal(s.conditions.length, DEFAULT_FLEET_LIMITS.maxConditions);
  assert.equal(s.conditions[0].message.length, DEFAULT_FLEET_LIMITS.maxMessage);
  assert.equal(s.services.length, DEFAULT_FLEET_LIMITS.maxServices);
  assert.equal(s.nodesTotal, 0);
  assert.equal(sanitizeSummary(entry("../etc", "root")), undefined);
});

Deno.test("a direct child: the cell's copy before the pivot, its own report after", () => {
  const local = entry("w", "root", {
    phase: "Provisioning",
    agentConnected: true,
    lastHeartbeat: new Date(1_000),
    conditions: [{ type: "AgentConnected", status: "True", reason: "Connected", message: "" }],
    events: [{ type: "Normal", reason: "Provisioning", message: "p", time: new Date(1), count: 1 }],
  });
  const reported = entry("w", "", {
    phase: "Pending",
    fluxVersion: "2.6.0",
    conditions: [{ type: "Ready", status: "False", reason: "X", message: "" }],
    events: [{ type: "Warning", reason: "Bad", message: "b", time: new Date(2), count: 1 }],
  });
  const before = mergeChild(
    { summary: local, pivoted: false },
    reported,
    false,
    DEFAULT_FLEET_LIMITS,
  );
  assert.equal(before.phase, "Provisioning");
  assert.equal(before.fluxVersion, "2.6.0");
  const after = mergeChild({ summary: local, pivoted: true }, reported, true, DEFAULT_FLEET_LIMITS);
  assert.equal(after.phase, "Pending");
  assert.equal(after.lastHeartbeat?.getTime(), 1_000, "the link is the parent's");
  assert.deepEqual(after.conditions.map((c) => c.type), ["Ready", "AgentConnected"]);
  assert.deepEqual(after.events.map((e) => e.reason), ["Bad", "Provisioning"]);
  assert.equal(after.stale, true);
});
