/**
 * `deno task bench abuse`: a live cell (parent and child control planes, the cell's servers
 * as the operator runs them, the child's agent as its own process over a real mTLS stream)
 * while an abusive client — its own process, bench/_abuser.ts — runs each attack of issue
 * #25 in turn: 1 GiB chunked bodies, 3,000 half-open handshakes and 200 idle connections,
 * slowloris heads, token guessing, a request flood, SHA-1 registrations and Host-header
 * routing, and a deleted cluster's agent reconnecting. A legitimate client — its own
 * process, from 127.0.0.2, an address the abuser never uses — GETs through the proxy at 50/s.
 *
 * Per scenario, the legitimate p99 is measured twice back to back: idle (no attack) and
 * under the attack; the ratio of the two (goal ≤ 2×) so compares figures taken under the
 * same machine load. The cell process's memory growth over its settled value at the
 * scenario's start (goal ≤ 64 MiB) is its peak RSS during the attack. The whole sequence
 * runs ABUSE_RUNS times (default 3) and each metric is the median over the runs; the load
 * average is reported with them. Loopback only.
 */
import "reflect-metadata";
import { Pkcs10CertificateRequestGenerator } from "@peculiar/x509";
import { generateKeyPair } from "../lib/pki/mod.ts";
import { CELL, grantProxy, startCellEnv } from "../tests/integration/_cell_env.ts";
import type { CellEnv } from "../tests/integration/_cell_env.ts";
import { type BenchResults, peakMemory, percentile, rssMiB, runBench } from "./_harness.ts";
import type { AbuseConfig } from "./_abuser.ts";
import type { AbuseAgentConfig } from "./_abuse_agent.ts";
import type { LegitConfig } from "./_legit.ts";

const SCENARIOS = Deno.env.get("ABUSE_SCENARIOS")?.split(",") ??
  ["bodies", "connections", "slowloris", "tokens", "flood", "webhook", "revoked"];
const SCENARIO_MS = Number(Deno.env.get("ABUSE_SCENARIO_MS") ?? 12_000);
const IDLE_MS = Number(Deno.env.get("ABUSE_IDLE_MS") ?? 6_000);
const RUNS = Number(Deno.env.get("ABUSE_RUNS") ?? 3);
const PATH = "/clusters/child/api/v1/namespaces/default/configmaps?limit=1";

async function tempJson(value: unknown): Promise<string> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(value));
  return file;
}

async function lastJsonLine<T>(command: Deno.Command, fallback: T): Promise<T> {
  const out = await command.output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as T;
  } catch {
    return fallback;
  }
}

function script(name: string, ...args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(name, import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "inherit",
  });
}

/** Runs the legitimate client for `ms` while `during` runs; its samples and the peak RSS. */
async function measure(legitFile: string, ms: number, during?: Promise<unknown>) {
  const memory = peakMemory(() => [Deno.pid]);
  const [{ samples, errors }] = await Promise.all([
    lastJsonLine(script("./_legit.ts", legitFile, String(ms)), { samples: [], errors: -1 }),
    during,
  ]);
  await memory.sample();
  memory.stop();
  return { samples, errors, peakMiB: memory.peakMiB() };
}

/** Collects garbage when the process runs with --expose-gc (see the re-run below). */
async function settle(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 200));
  }
  return rssMiB();
}

async function loadAverage(): Promise<number> {
  return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
}

async function sha1Csr(name: string): Promise<string> {
  const { keys } = await generateKeyPair();
  const csr = await Pkcs10CertificateRequestGenerator.create({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-1" },
  });
  return csr.toString("pem");
}

/** Starts the child's agent as its own process; resolves once the cell sees it connected. */
async function startAgentProcess(env: CellEnv): Promise<Deno.ChildProcess> {
  const config: AbuseAgentConfig = {
    grpcEndpoint: env.cell.grpcEndpoint,
    cluster: "child",
    cell: CELL,
    childKubeconfig: env.child.kubeconfig,
    credentials: await env.credentials("child"),
  };
  const file = await tempJson(config);
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_abuse_agent.ts", import.meta.url).pathname, file],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  while (!env.cell.registry.get("child")?.connected) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await Deno.remove(file);
  return process;
}

async function setUp(env: CellEnv) {
  await env.createCluster("child");
  await grantProxy(env, "alice", "child");
  // On the child, alice reads and creates configmaps through one of her (prefixed) groups:
  // the child accepts her over-limit bodies, so the cell must cut them (413).
  await env.childClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "cm-reader", namespace: "default" },
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "create"] }],
  });
  await env.childClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "alice-view", namespace: "default" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-reader" },
    subjects: [{
      kind: "Group",
      name: "lattice:root:system:serviceaccounts:default",
      apiGroup: "rbac.authorization.k8s.io",
    }],
  });
  const alice = await env.token("alice");
  await env.createCluster("doomed");
  const revoked = await env.credentials("doomed");
  await env.deleteCluster("doomed");
  const abuse: AbuseConfig = {
    port: env.port,
    grpcEndpoint: env.cell.grpcEndpoint,
    caPem: env.cell.caPem,
    idleToken: await env.token("idle"),
    token: alice,
    cluster: "child",
    revoked: { name: "doomed", certPem: revoked.certPem, keyPem: revoked.keyPem },
    sha1Csr: await sha1Csr("child"),
    durationMs: SCENARIO_MS,
  };
  const legit: LegitConfig = { port: env.port, caPem: env.cell.caPem, token: alice, path: PATH };
  return { abuseFile: await tempJson(abuse), legitFile: await tempJson(legit) };
}

/** One pass over every scenario. */
async function runOnce(abuseFile: string, legitFile: string): Promise<BenchResults> {
  const results: BenchResults = {};
  for (const scenario of SCENARIOS) {
    const startRss = await settle();
    const idle = await measure(legitFile, IDLE_MS);
    let counters: Record<string, number> = {};
    const attacked = await measure(
      legitFile,
      SCENARIO_MS,
      lastJsonLine(script("./_abuser.ts", scenario, abuseFile), {}).then((c) => counters = c),
    );
    const idleP99 = percentile(idle.samples, 99);
    results[`${scenario}_idle_p99_ms`] = idleP99;
    results[`${scenario}_p50_ms`] = percentile(attacked.samples, 50);
    results[`${scenario}_p99_ms`] = percentile(attacked.samples, 99);
    results[`${scenario}_p99_ratio`] = percentile(attacked.samples, 99) / idleP99;
    results[`${scenario}_mem_growth_MiB`] = Math.max(0, attacked.peakMiB - startRss);
    results[`${scenario}_legit_errors`] = attacked.errors;
    for (const [k, v] of Object.entries(counters)) results[`${scenario}_${k}`] = v;
    // Let the cell drop what the attack left (timeouts) before the next one; what stays
    // after that and a collection is held.
    await new Promise((r) => setTimeout(r, 2_000));
    results[`${scenario}_mem_held_MiB`] = Math.max(0, (await settle()) - startRss);
    const usage = Deno.memoryUsage();
    results[`${scenario}_heap_used_MiB`] = usage.heapUsed / (1 << 20);
    results[`${scenario}_external_MiB`] = usage.external / (1 << 20);
    results[`${scenario}_loadavg_1m`] = await loadAverage();
  }
  return results;
}

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

if (import.meta.main && !("gc" in globalThis)) {
  // Memory is compared after collecting garbage: run again with the collector exposed.
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", new URL(import.meta.url).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  Deno.exit(code);
} else if (import.meta.main) {
  await runBench("abuse", async () => {
    const env = await startCellEnv({ limits: { admissionRecheckMs: 1_000 } });
    let agent: Deno.ChildProcess | undefined;
    const results: BenchResults = { runs: RUNS, loadavg_1m_start: await loadAverage() };
    try {
      const { abuseFile, legitFile } = await setUp(env);
      agent = await startAgentProcess(env);
      await measure(legitFile, 3_000); // warm-up
      results.idle_rss_MiB = await settle();
      results.idle_heap_used_MiB = Deno.memoryUsage().heapUsed / (1 << 20);
      const runs: BenchResults[] = [];
      for (let run = 0; run < RUNS; run++) {
        runs.push(await runOnce(abuseFile, legitFile));
        console.error(`abuse run ${run + 1}/${RUNS}: ${JSON.stringify(runs.at(-1))}`);
      }
      for (const key of Object.keys(runs[0])) {
        results[key] = median(runs.map((r) => r[key] ?? Number.NaN));
      }
      const pick = (suffix: string) =>
        Math.max(...SCENARIOS.map((s) => results[`${s}_${suffix}`] ?? 0));
      results.worst_mem_growth_MiB = pick("mem_growth_MiB");
      results.worst_mem_held_MiB = pick("mem_held_MiB");
      results.worst_p99_ratio = pick("p99_ratio");
      results.final_rss_MiB = await settle();
      results.loadavg_1m_end = await loadAverage();
      await Promise.all([Deno.remove(abuseFile), Deno.remove(legitFile)]);
    } finally {
      agent?.kill("SIGTERM");
      await agent?.status;
      await env.close();
    }
    return results;
  });
}
