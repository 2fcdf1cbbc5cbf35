/**
 * `deno task bench agents`: one cell (this process) holding N agents with distinct
 * certificates (bench/_agent_swarm.ts, another process). Reports the cell's RSS per agent,
 * heartbeat round trips, connect rate, and a reconnect storm: every connection dropped at
 * once, time until 99 % are back, and the cell's memory peak relative to steady state.
 *
 * Env: LATTICE_BENCH_AGENTS (default 1000), LATTICE_BENCH_HEARTBEAT_MS (default 5000).
 */
import { createCa, issueServerCert } from "../lib/pki/mod.ts";
import { AgentRegistry } from "../lib/cell/registry.ts";
import { type AgentServer, startAgentServer } from "../lib/cell/grpc_server.ts";
import { percentile, rssMiB, runBench } from "./_harness.ts";

const N = Number(Deno.env.get("LATTICE_BENCH_AGENTS") ?? 1000);
const BEAT_MS = Number(Deno.env.get("LATTICE_BENCH_HEARTBEAT_MS") ?? 5000);

/** Runs V8's GC when exposed (--v8-flags=--expose-gc) so RSS figures settle. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Samples this process's event-loop lag every 100 ms until `stop()` (returns p99 ms). */
function lagMonitor(): { stop(): number } {
  const lags: number[] = [];
  let expected = performance.now() + 100;
  const timer = setInterval(() => {
    lags.push(Math.max(0, performance.now() - expected));
    expected = performance.now() + 100;
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return percentile(lags, 99);
    },
  };
}

/** Polls `cond` every 50 ms (sampling RSS) until true or `timeoutMs`; returns elapsed ms. */
async function waitUntil(cond: () => boolean, timeoutMs: number, peak?: { rss: number }) {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) {
      throw new Error(`Cannot finish benchmark: condition not met within ${timeoutMs} ms`);
    }
    if (peak) peak.rss = Math.max(peak.rss, rssMiB());
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - start;
}

async function bench() {
  const dir = await Deno.makeTempDir({ prefix: "lattice-bench-agents-" });
  const ca = await createCa({ commonName: "bench-cell" });
  const serverCert = await issueServerCert(ca, { dnsNames: ["localhost"] });
  await Deno.writeTextFile(`${dir}/ca.pem`, ca.certPem);
  await Deno.writeTextFile(`${dir}/ca.key`, ca.keyPem);
  const registry = new AgentRegistry({ heartbeatIntervalMs: BEAT_MS });
  const start = (port = 0) => startAgentServer({ ca, serverCert, registry, port });
  let server: AgentServer = await start();
  const port = server.port;
  collectGarbage();
  const baseline = rssMiB();

  const swarm = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_agent_swarm.ts", import.meta.url).pathname,
      `localhost:${port}`,
      `${dir}/ca.pem`,
      `${dir}/ca.key`,
      String(N),
      String(BEAT_MS),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = swarm.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (): Promise<Record<string, number>> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await out.read();
      if (done) throw new Error("Cannot run benchmark: the agent swarm exited");
      buffered += value;
    }
    const nl = buffered.indexOf("\n");
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    return JSON.parse(line);
  };
  const stdin = swarm.stdin.getWriter();
  const send = (cmd: string) => stdin.write(new TextEncoder().encode(cmd + "\n"));

  try {
    const progress = (msg: string) => console.error(`agents bench: ${msg}`);
    const issued = await nextLine();
    progress(`issued ${N} certificates`);
    await nextLine(); // started
    const connectMs = await waitUntil(() => registry.connectedCount() >= N, 300_000);
    progress(`${N} connected in ${Math.round(connectMs)} ms`);
    // Steady state: a few heartbeat rounds, then round trips over the next rounds.
    await new Promise((r) => setTimeout(r, 2 * BEAT_MS));
    await send("stats");
    await nextLine();
    const cellLag = lagMonitor();
    // One-way delay agent → cell (same machine, same clock): splits the round trip by leg.
    const inbound: number[] = [];
    const off = registry.subscribe((e) => {
      if (e.type !== "message" || e.message.payload?.$case !== "heartbeat") return;
      const sent = e.message.payload.value.timestamp;
      if (sent) inbound.push(Date.now() - sent.getTime());
    });
    await new Promise((r) => setTimeout(r, 3 * BEAT_MS));
    await send("stats");
    const rtt = await nextLine();
    const cellLagP99 = cellLag.stop();
    off();
    collectGarbage();
    const steady = rssMiB();

    progress("measured heartbeats; dropping every connection");
    // Reconnect storm: drop every connection at once and bring the server back.
    await server.close(0);
    await waitUntil(() => registry.connectedCount() === 0, 60_000);
    const peak = { rss: rssMiB() };
    server = await start(port);
    const stormMs = await waitUntil(() => registry.connectedCount() >= 0.99 * N, 300_000, peak);
    const afterStorm = rssMiB();
    progress(`99 % back in ${Math.round(stormMs)} ms`);

    await send("stop");
    await nextLine();
    return {
      agents: N,
      cert_issue_ms_per_agent: issued.ms / N,
      connect_all_s: connectMs / 1000,
      connect_rate_per_s: N / (connectMs / 1000),
      cell_rss_baseline_mib: baseline,
      cell_rss_steady_mib: steady,
      cell_rss_per_agent_kib: ((steady - baseline) * 1024) / N,
      heartbeat_rtt_p50_ms: rtt.p50,
      heartbeat_rtt_p99_ms: rtt.p99,
      heartbeat_samples: rtt.count,
      heartbeat_agent_to_cell_p50_ms: percentile(inbound, 50),
      heartbeat_agent_to_cell_p99_ms: percentile(inbound, 99),
      cell_event_loop_lag_p99_ms: cellLagP99,
      agents_event_loop_lag_p99_ms: rtt.lagP99,
      storm_99pct_back_s: stormMs / 1000,
      storm_rss_peak_mib: Math.max(peak.rss, afterStorm),
      storm_peak_ratio: Math.max(peak.rss, afterStorm) / steady,
    };
  } finally {
    await stdin.close().catch(() => {});
    try {
      swarm.kill();
    } catch {
      // already exited
    }
    await swarm.status;
    registry.close();
    await server.close(0);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await runBench("agents", bench);
}
