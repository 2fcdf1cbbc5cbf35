/**
 * `deno task bench abuse`: a live cell (parent and child control planes, the cell's servers
 * as the operator runs them, the child's agent over a real mTLS stream) while an abusive
 * client — its own process, bench/_abuser.ts — runs each attack of issue #25 in turn:
 * 1 GiB chunked bodies, 3,000 half-open handshakes and 200 idle connections, slowloris
 * heads, token guessing, a request flood, SHA-1 registrations and Host-header routing,
 * and a deleted cluster's agent reconnecting. A legitimate client meanwhile GETs through
 * the proxy at 50/s. Per scenario: the cell process's memory growth over its idle value
 * (goal ≤ 64 MiB) and the legitimate p99 against its idle p99 (goal ≤ 2×). Loopback only.
 */
import "reflect-metadata";
import { Pkcs10CertificateRequestGenerator } from "@peculiar/x509";
import { generateKeyPair } from "../lib/pki/mod.ts";
import { grantProxy, startCellEnv } from "../tests/integration/_cell_env.ts";
import type { CellEnv } from "../tests/integration/_cell_env.ts";
import { type BenchResults, peakMemory, percentile, rssMiB, runBench } from "./_harness.ts";
import type { AbuseConfig } from "./_abuser.ts";

const SCENARIOS = Deno.env.get("ABUSE_SCENARIOS")?.split(",") ??
  ["bodies", "connections", "slowloris", "tokens", "flood", "webhook", "revoked"];
const SCENARIO_MS = Number(Deno.env.get("ABUSE_SCENARIO_MS") ?? 12_000);
const PATH = "/clusters/child/api/v1/namespaces/default/configmaps?limit=1";

/** GETs through the proxy every 20 ms until `signal`; latencies in ms and failures. */
async function legitimate(env: CellEnv, token: string, signal: AbortSignal) {
  const samples: number[] = [];
  let errors = 0;
  while (!signal.aborted) {
    const started = performance.now();
    try {
      const res = await env.fetch(PATH, token);
      const body = await res.text();
      if (res.status !== 200) {
        if (errors++ === 0) console.error(`legitimate GET: ${res.status} ${body}`);
      } else samples.push(performance.now() - started);
    } catch (error) {
      if (errors++ === 0) console.error(`legitimate GET failed: ${error}`);
    }
    const left = 20 - (performance.now() - started);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  }
  return { samples, errors };
}

async function measure(env: CellEnv, token: string, ms: number, during?: Promise<unknown>) {
  const stop = new AbortController();
  const memory = peakMemory(() => [Deno.pid]);
  const running = legitimate(env, token, stop.signal);
  await Promise.all([new Promise((r) => setTimeout(r, ms)), during]);
  stop.abort();
  const { samples, errors } = await running;
  await memory.sample();
  memory.stop();
  return { samples, errors, peakMiB: memory.peakMiB() };
}

async function abuse(scenario: string, config: AbuseConfig): Promise<Record<string, number>> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(config));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_abuser.ts", import.meta.url).pathname, scenario, file],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  await Deno.remove(file);
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "{}";
  try {
    return JSON.parse(line);
  } catch {
    return {};
  }
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

async function sha1Csr(name: string): Promise<string> {
  const { keys } = await generateKeyPair();
  const csr = await Pkcs10CertificateRequestGenerator.create({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-1" },
  });
  return csr.toString("pem");
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
    const results: BenchResults = {};
    try {
      await env.createCluster("child");
      await env.connectChild("child");
      while (!env.cell.registry.get("child")?.connected) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await grantProxy(env, "alice", "child");
      // On the child, alice reads and creates configmaps through one of her (prefixed)
      // groups: the child accepts her over-limit bodies, so the cell must cut them (413).
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
      const idle = await env.token("idle");
      await env.createCluster("doomed");
      const revoked = await env.credentials("doomed");
      await env.deleteCluster("doomed");
      const config: AbuseConfig = {
        port: env.port,
        grpcEndpoint: env.cell.grpcEndpoint,
        caPem: env.cell.caPem,
        idleToken: idle,
        token: alice,
        cluster: "child",
        revoked: { name: "doomed", certPem: revoked.certPem, keyPem: revoked.keyPem },
        sha1Csr: await sha1Csr("child"),
        durationMs: SCENARIO_MS,
      };

      await measure(env, alice, 3_000); // warm-up
      const base = await measure(env, alice, SCENARIO_MS);
      const idleRss = await settle();
      const idleP99 = percentile(base.samples, 99);
      results.idle_rss_MiB = idleRss;
      results.idle_p50_ms = percentile(base.samples, 50);
      results.idle_p99_ms = idleP99;
      let worstGrowth = 0;
      let worstHeld = 0;
      let worstRatio = 0;
      for (const scenario of SCENARIOS) {
        const startRss = await settle();
        let counters: Record<string, number> = {};
        const run = measure(
          env,
          alice,
          SCENARIO_MS,
          abuse(scenario, config).then((c) => counters = c),
        );
        const { samples, errors, peakMiB } = await run;
        // Growth: the peak over this scenario's own start (earlier attacks not counted).
        const growth = Math.max(0, peakMiB - startRss);
        const ratio = percentile(samples, 99) / idleP99;
        worstGrowth = Math.max(worstGrowth, growth);
        worstRatio = Math.max(worstRatio, ratio);
        results[`${scenario}_mem_growth_MiB`] = growth;
        results[`${scenario}_p50_ms`] = percentile(samples, 50);
        results[`${scenario}_p99_ms`] = percentile(samples, 99);
        results[`${scenario}_p99_ratio`] = ratio;
        results[`${scenario}_legit_errors`] = errors;
        for (const [k, v] of Object.entries(counters)) results[`${scenario}_${k}`] = v;
        // Let the cell drop what the attack left (timeouts) before the next one; what stays
        // after that and a collection is held.
        await new Promise((r) => setTimeout(r, 2_000));
        const held = Math.max(0, (await settle()) - startRss);
        results[`${scenario}_mem_held_MiB`] = held;
        worstHeld = Math.max(worstHeld, held);
      }
      results.worst_mem_growth_MiB = worstGrowth;
      results.worst_mem_held_MiB = worstHeld;
      results.worst_p99_ratio = worstRatio;
      results.final_rss_MiB = await settle();
    } finally {
      await env.close();
    }
    return results;
  });
}
