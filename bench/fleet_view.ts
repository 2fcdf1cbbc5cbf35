/**
 * `deno task bench fleet_view`: the fleet view with 10,000 clusters in a synthetic subtree
 * below one child of the root cell (LATTICE_BENCH_FLEET_CLUSTERS to change the size).
 *
 * - root memory: heap held by the root's state for the subtree, per cluster;
 * - snapshot: the child's full snapshot encoded, through the real proto, applied at the root;
 * - delta fan-in: single-cluster changes batched like the reporter does (100 per message),
 *   through the proto into the root: changes/s and messages/s;
 * - first paint: real headless Chromium opening the page until the tree and table of all
 *   clusters are rendered (median of 3);
 * - SSE update latency: a change applied at the root until the page has it (p50/p99 of 100).
 */
import { percentile, runBench } from "./_harness.ts";
import {
  emptySummary,
  fleetApp,
  type FleetSource,
  FleetState,
  SubtreeEncoder,
} from "../lib/fleet/mod.ts";
import {
  AgentMessage,
  type FleetClusterSummary,
  type FleetSubtreeUpdate,
} from "../lib/proto/lattice/agent/v1/agent.ts";
import { Browser } from "../tests/_browser/cdp.ts";
import { GOOD_TOKEN, stubAuthenticator, stubAuthorizer } from "../tests/fleet/_page_server.ts";

const N = Number(Deno.env.get("LATTICE_BENCH_FLEET_CLUSTERS") ?? "10000");
const REGIONS = 100;

function synthetic(name: string, parent: string, i: number): FleetClusterSummary {
  const now = Date.now();
  return {
    ...emptySummary(name, parent),
    phase: i % 97 === 0 ? "Provisioning" : "Ready",
    provider: ["aws", "gcp", "proxmox", "docker"][i % 4],
    kubernetesVersion: i % 3 ? "1.31.0" : "1.32.2",
    fluxVersion: "2.6.4",
    fluxHealthy: true,
    nodesReady: 3 + (i % 5),
    nodesTotal: 3 + (i % 5),
    agentConnected: true,
    lastHeartbeat: new Date(now - (i % 30) * 1000),
    cell: false,
    labels: { env: i % 5 ? "prod" : "staging", region: `r${i % REGIONS}`, team: `t${i % 17}` },
    services: [`svc-${i % 13}`, `svc-${i % 7}`],
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "SelfManaging",
        message: "The cluster manages itself",
      },
      { type: "AgentConnected", status: "True", reason: "Connected", message: "" },
      { type: "SpecValid", status: "True", reason: "Valid", message: "" },
    ],
    events: [
      {
        type: "Normal",
        reason: "Ready",
        message: "Phase Pivoting → Ready",
        time: new Date(now),
        count: 1,
      },
      {
        type: "Normal",
        reason: "Pivoted",
        message: "CAPI objects moved",
        time: new Date(now),
        count: 1,
      },
    ],
  };
}

/** The child's subtree: mgmt → 100 region cells → leaves. */
class Synthetic implements FleetSource {
  readonly map = new Map<string, FleetClusterSummary>();
  truncated = 0;
  constructor(total: number) {
    this.map.set("mgmt", { ...synthetic("mgmt", "root", 0), cell: true });
    for (let r = 0; r < REGIONS; r++) {
      this.map.set(`region-${r}`, { ...synthetic(`region-${r}`, "mgmt", r), cell: true });
    }
    for (let i = 0; this.map.size < total; i++) {
      const name = `leaf-${String(i).padStart(5, "0")}`;
      this.map.set(name, synthetic(name, `region-${i % REGIONS}`, i));
    }
  }
  get(name: string) {
    return this.map.get(name);
  }
  entries() {
    return [...this.map.values()];
  }
}

function wire(update: FleetSubtreeUpdate): { update: FleetSubtreeUpdate; bytes: number } {
  const bytes = AgentMessage.encode({
    clusterName: "mgmt",
    payload: { $case: "fleetSubtree", value: update },
  })
    .finish();
  const back = AgentMessage.decode(bytes).payload;
  if (back?.$case !== "fleetSubtree") throw new Error("bad round trip");
  return { update: back.value, bytes: bytes.length };
}

if (import.meta.main) {
  await runBench("fleet_view", async () => {
    const source = new Synthetic(N);
    const root = new FleetState("root");
    root.setSelf({ ...emptySummary("root"), phase: "Ready", cell: true });
    root.setLocalChild("mgmt", { summary: synthetic("mgmt", "root", 0), pivoted: true });
    const encoder = new SubtreeEncoder();
    const heapBefore = Deno.memoryUsage().heapUsed;
    let t = performance.now();
    let wireBytes = 0;
    for (const u of encoder.snapshot(source)) {
      const { update, bytes } = wire(u);
      wireBytes += bytes;
      const r = root.apply("mgmt", update);
      if (r.refused || r.resync) throw new Error(`refused ${r.refused} ${r.resync ?? ""}`);
    }
    const snapshotMs = performance.now() - t;
    const heapAfter = Deno.memoryUsage().heapUsed;
    if (root.size !== N + 1) throw new Error(`root holds ${root.size}, expected ${N + 1}`);

    // Delta fan-in: 20,000 changes, 100 per message.
    const changes = 20_000;
    const names = [...source.map.keys()];
    t = performance.now();
    let messages = 0;
    for (let i = 0; i < changes; i += 100) {
      const batch: string[] = [];
      for (let j = i; j < i + 100; j++) {
        const name = names[(j * 7919) % names.length];
        const e = source.map.get(name)!;
        source.map.set(name, { ...e, lastHeartbeat: new Date(Date.now() + j) });
        batch.push(name);
      }
      for (const u of encoder.delta(source, batch)) {
        root.apply("mgmt", wire(u).update);
        messages++;
      }
    }
    const deltaSeconds = (performance.now() - t) / 1000;

    // The page in Chromium.
    const { app, hub } = fleetApp({
      state: root,
      authenticator: stubAuthenticator,
      authorizer: stubAuthorizer,
      cellUrl: () => "https://cell.example",
      sse: { batchMs: 50 },
    });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
    const url = `http://127.0.0.1:${server.addr.port}/fleet/`;
    const browser = await Browser.launch();
    const paints: number[] = [];
    const latencies: number[] = [];
    try {
      await browser.goto(url);
      await browser.eval(
        `sessionStorage.setItem("lattice-fleet-token", ${JSON.stringify(GOOD_TOKEN)})`,
      );
      for (let i = 0; i < 3; i++) {
        await browser.goto(url);
        paints.push(await browser.waitFor<number>("window.__fleet.renderedAt", 60_000));
      }
      // Let the last load settle (its first render of 10,000 rows) before measuring.
      await new Promise((r) => setTimeout(r, 2_000));
      for (let i = 0; i < 100; i++) {
        const name = names[(i * 104_729) % names.length];
        const current = source.map.get(name)!.phase;
        const phase = ["Failed", "Deleting", "Pivoting"].find((p) => p !== current)!;
        source.map.set(name, { ...source.map.get(name)!, phase });
        const sentAt = Date.now();
        for (const u of encoder.delta(source, [name])) root.apply("mgmt", wire(u).update);
        const key = `${name}/${phase}`;
        const got = await browser.waitFor<number>(
          `window.__fleet.appliedAt[${JSON.stringify(key)}]`,
          30_000,
        );
        latencies.push(got - sentAt);
        await browser.eval(`delete window.__fleet.appliedAt[${JSON.stringify(key)}]`);
      }
    } finally {
      await browser.close();
      hub.close();
      await server.shutdown();
    }
    return {
      clusters: N,
      root_heap_mib: (heapAfter - heapBefore) / 1048576,
      root_bytes_per_cluster: Math.round((heapAfter - heapBefore) / N),
      snapshot_apply_ms: snapshotMs,
      snapshot_wire_mib: wireBytes / 1048576,
      delta_fan_in_changes_per_s: changes / deltaSeconds,
      delta_fan_in_messages_per_s: messages / deltaSeconds,
      first_paint_ms_median: percentile(paints, 50),
      first_paint_ms_max: Math.max(...paints),
      sse_update_latency_ms_p50: percentile(latencies, 50),
      sse_update_latency_ms_p99: percentile(latencies, 99),
    };
  });
}
