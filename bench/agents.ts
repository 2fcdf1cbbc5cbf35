/**
 * `deno task bench agents`: one cell (this process) holding N agents with distinct
 * certificates, real mTLS and real heartbeats (bench/_agent_swarm.ts, in `procs` other
 * processes). Reports the cell's RSS and heap per agent, heartbeat round trips, the cell's
 * event-loop lag, the connect rate, and a reconnect storm: every connection dropped at
 * once and the server back, time until 99 % are back, the cell's memory peak relative to
 * steady state, and how the admission pacer spread the storm (docs/scale.md).
 *
 * Sizes (flag `--name=value`, or env): --agents (LATTICE_BENCH_AGENTS, 10,000),
 * --heartbeat-ms (LATTICE_BENCH_HEARTBEAT_MS, 5,000), --procs (LATTICE_BENCH_PROCS, one per
 * 2,500 agents), --admit-concurrent (LATTICE_BENCH_ADMIT_CONCURRENT, the server's default),
 * --admit-rate (LATTICE_BENCH_ADMIT_RATE, the server's default; 0 turns pacing off).
 */
import { createCa, issueServerCert } from "../lib/pki/mod.ts";
import { AgentRegistry } from "../lib/cell/registry.ts";
import { type AgentServer, startAgentServer } from "../lib/cell/grpc_server.ts";
import type { AdmissionPacingOptions } from "../lib/cell/admission_pacer.ts";
import { benchSize, cpuSeconds, percentile, rssMiB, runBench } from "./_harness.ts";
import { startSwarm, type Swarm } from "./_swarm_driver.ts";

const N = benchSize("agents", "LATTICE_BENCH_AGENTS", 10_000);
const BEAT_MS = benchSize("heartbeat-ms", "LATTICE_BENCH_HEARTBEAT_MS", 5_000);
const PROCS = Math.max(1, benchSize("procs", "LATTICE_BENCH_PROCS", Math.ceil(N / 2_500)));
const ADMIT_CONCURRENT = benchSize("admit-concurrent", "LATTICE_BENCH_ADMIT_CONCURRENT", 0);
const ADMIT_RATE = benchSize("admit-rate", "LATTICE_BENCH_ADMIT_RATE", -1);

function admission(): AdmissionPacingOptions | false {
  if (ADMIT_RATE === 0) return false;
  return {
    ...(ADMIT_CONCURRENT > 0 ? { maxConcurrent: ADMIT_CONCURRENT } : {}),
    ...(ADMIT_RATE > 0 ? { perSecond: ADMIT_RATE } : {}),
  };
}

/** Runs V8's GC when exposed (--v8-flags=--expose-gc) so RSS figures settle. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const heapMiB = () => Deno.memoryUsage().heapUsed / (1024 * 1024);

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
async function waitUntil(
  cond: () => boolean,
  timeoutMs: number,
  peak?: { rss: number },
  failed: () => string | undefined = () => undefined,
) {
  const start = performance.now();
  while (!cond()) {
    const failure = failed();
    if (failure) throw new Error(`Cannot finish benchmark: ${failure}`);
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
  const start = (port = 0) =>
    startAgentServer({ ca, serverCert, registry, port, admission: admission() });
  let server: AgentServer = await start();
  const port = server.port;
  collectGarbage();
  const baseline = rssMiB();
  const baselineHeap = heapMiB();
  const progress = (msg: string) => console.error(`agents bench: ${msg}`);

  let swarm: Swarm | undefined;
  try {
    swarm = await startSwarm({
      address: `localhost:${port}`,
      caFile: `${dir}/ca.pem`,
      keyFile: `${dir}/ca.key`,
      agents: N,
      procs: PROCS,
      heartbeatMs: BEAT_MS,
    });
    progress(`issued ${N} certificates in ${PROCS} processes; connecting`);
    const cpuAtConnect = cpuSeconds();
    const connectMs = await waitUntil(
      () => registry.connectedCount() >= N,
      900_000,
      undefined,
      () => swarm?.failure,
    );
    const connectCpu = cpuSeconds() - cpuAtConnect;
    progress(`${N} connected in ${Math.round(connectMs)} ms`);
    // Steady state: a few heartbeat rounds, then round trips over the next rounds.
    await new Promise((r) => setTimeout(r, 2 * BEAT_MS));
    await swarm.stats();
    const cellLag = lagMonitor();
    const cpuAtBeats = cpuSeconds();
    const beatsAt = performance.now();
    // One-way delay agent → cell (same machine, same clock): splits the round trip by leg.
    const inbound: number[] = [];
    const off = registry.subscribe((e) => {
      if (e.type !== "message" || e.message.payload?.$case !== "heartbeat") return;
      const sent = e.message.payload.value.timestamp;
      if (sent) inbound.push(Date.now() - sent.getTime());
    });
    await new Promise((r) => setTimeout(r, 3 * BEAT_MS));
    const rtt = await swarm.stats();
    const cellLagP99 = cellLag.stop();
    const beatCpuShare = (cpuSeconds() - cpuAtBeats) / ((performance.now() - beatsAt) / 1000);
    off();
    collectGarbage();
    const steady = rssMiB();
    const steadyHeap = heapMiB();

    progress("measured heartbeats; dropping every connection");
    // Reconnect storm: drop every connection at once and bring the server back.
    await server.close(0);
    await waitUntil(() => registry.connectedCount() === 0, 60_000);
    const peak = { rss: rssMiB() };
    const stormLag = lagMonitor();
    const cpuAtStorm = cpuSeconds();
    await swarm.stats(); // forget the reasons of the drop itself
    server = await start(port);
    // The storm's timeline: agents back per second (stderr, for docs/scale.md).
    const timeline: number[] = [];
    const tick = setInterval(() => timeline.push(registry.connectedCount()), 1_000);
    const stormMs = await waitUntil(
      () => registry.connectedCount() >= 0.99 * N,
      600_000,
      peak,
      () => swarm?.failure,
    );
    const stormLagP99 = stormLag.stop();
    clearInterval(tick);
    progress(`storm timeline (connected each second): ${timeline.join(" ")}`);
    const afterStorm = rssMiB();
    const stormCpu = cpuSeconds() - cpuAtStorm;
    const pacer = server.pacer?.stats;
    progress(`99 % back in ${Math.round(stormMs)} ms`);
    const storm = await swarm.stats();
    progress(`storm: why attempts ended: ${JSON.stringify(storm.reasons)}`);

    return {
      agents: N,
      swarm_processes: PROCS,
      heartbeat_interval_ms: BEAT_MS,
      cert_issue_ms_per_agent: swarm.issueMs / N,
      connect_all_s: connectMs / 1000,
      connect_rate_per_s: N / (connectMs / 1000),
      cell_cpu_ms_per_connect: (connectCpu * 1000) / N,
      cell_cpu_share_heartbeats: beatCpuShare,
      cell_cpu_us_per_heartbeat: (beatCpuShare * 1e6 * BEAT_MS) / 1000 / N,
      cell_rss_baseline_mib: baseline,
      cell_rss_steady_mib: steady,
      cell_rss_per_agent_kib: ((steady - baseline) * 1024) / N,
      cell_heap_per_agent_kib: ((steadyHeap - baselineHeap) * 1024) / N,
      heartbeat_rtt_p50_ms: percentile(rtt.rtts, 50),
      heartbeat_rtt_p99_ms: percentile(rtt.rtts, 99),
      heartbeat_samples: rtt.rtts.length,
      heartbeat_agent_to_cell_p50_ms: percentile(inbound, 50),
      heartbeat_agent_to_cell_p99_ms: percentile(inbound, 99),
      cell_event_loop_lag_p99_ms: cellLagP99,
      agents_event_loop_lag_p99_ms: percentile(rtt.lags, 99),
      storm_99pct_back_s: stormMs / 1000,
      storm_cell_event_loop_lag_p99_ms: stormLagP99,
      storm_cell_cpu_ms_per_agent: (stormCpu * 1000) / (0.99 * N),
      storm_rss_peak_mib: Math.max(peak.rss, afterStorm),
      storm_peak_ratio: Math.max(peak.rss, afterStorm) / steady,
      storm_admissions_refused: pacer?.refused ?? 0,
      storm_admissions_peak_in_flight: pacer?.peakInFlight ?? 0,
      storm_reconnects_hinted: storm.hinted,
    };
  } finally {
    await swarm?.stop();
    registry.close();
    await server.close(0);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await runBench("agents", bench);
}
