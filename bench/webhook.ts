/**
 * `deno task bench webhook`: the latency of a registration at a steady arrival rate (an
 * open loop: registrations start on schedule whether or not earlier ones finished, as
 * children booting independently would), how many registrations a second the bootstrap
 * webhook sustains, over real HTTPS on localhost (CSR check, token lease/commit in memory,
 * signing, building the child bundle, gzip, TLS, the connection guard). CSRs are made
 * beforehand: the child pays for those, not the cell.
 *
 * Sizes (flag `--name=value`, or env): --rate (BENCH_WEBHOOK_RATE, 200 a second),
 * --seconds (BENCH_WEBHOOK_SECONDS, 10).
 */
import { LatticeClusterSchema } from "../lib/api/mod.ts";
import { createWebhookApp } from "../lib/cell/webhook.ts";
import { serveHttps } from "../lib/cell/webhook_server.ts";
import {
  BootstrapTokens,
  createCa,
  createCsr,
  generateKeyPair,
  issueServerCert,
  MemoryTokenBackend,
} from "../lib/pki/mod.ts";
import { minimalClusterDocument } from "../tests/api/fixtures.ts";
import { benchSize, cpuSeconds, percentile, runBench } from "./_harness.ts";

const RATE = benchSize("rate", "BENCH_WEBHOOK_RATE", 200);
const SECONDS = benchSize("seconds", "BENCH_WEBHOOK_SECONDS", 10);
const SEQUENTIAL = 200;
const CONCURRENT = 400;
const CONCURRENCY = 8;

async function prepare(names: string[], tokens: BootstrapTokens) {
  return await Promise.all(names.map(async (name) => {
    const { keys } = await generateKeyPair();
    const { token } = await tokens.issue(name);
    return {
      name,
      body: JSON.stringify({ token, csr: await createCsr(keys, { commonName: name }) }),
    };
  }));
}

async function bench() {
  const ca = await createCa({ commonName: "bench-ca" });
  const tokens = new BootstrapTokens(new MemoryTokenBackend());
  const spec = LatticeClusterSchema.parse(minimalClusterDocument("bench")).spec;
  const app = createWebhookApp({
    ca,
    tokens,
    grpcEndpoint: "localhost:50051",
    clusters: (name) => Promise.resolve({ name, spec }),
    rateLimit: { burst: 1e9, perMinute: 1e9 },
  });
  const cert = await issueServerCert(ca, { dnsNames: ["localhost"] });
  const abort = new AbortController();
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = serveHttps(app, {
    hostname: "127.0.0.1",
    port: 0,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    signal: abort.signal,
    onListen: listening.resolve,
  });
  const base = `https://localhost:${(await listening.promise).port}`;
  const client = Deno.createHttpClient({ caCerts: [ca.certPem] });
  const register = async (r: { name: string; body: string }) => {
    const res = await fetch(`${base}/api/clusters/${r.name}/register`, {
      method: "POST",
      client,
      headers: { "content-type": "application/json" },
      body: r.body,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`Cannot register ${r.name}: HTTP ${res.status}`);
  };
  try {
    // Warm-up: JIT, TLS session, CRD generation.
    for (const r of await prepare(["warm-0", "warm-1", "warm-2"], tokens)) await register(r);

    // Paced: RATE registrations a second for SECONDS, each timed from its scheduled start.
    const paced = await prepare(
      Array.from({ length: Math.round(RATE * SECONDS) }, (_, i) => `paced-${i}`),
      tokens,
    );
    const latencies: number[] = [];
    const cpu0 = cpuSeconds();
    const start = performance.now();
    await Promise.all(paced.map(async (r, i) => {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await register(r);
      latencies.push(performance.now() - due);
    }));
    const pacedS = (performance.now() - start) / 1000;
    const cpuMsPer = ((cpuSeconds() - cpu0) * 1000) / paced.length;

    // One at a time: the latency of a registration on an idle cell.
    const seq = await prepare(Array.from({ length: SEQUENTIAL }, (_, i) => `seq-${i}`), tokens);
    const alone: number[] = [];
    for (const r of seq) {
      const t = performance.now();
      await register(r);
      alone.push(performance.now() - t);
    }

    // Closed loop, 8 at a time: the most the webhook sustains.
    const par = await prepare(Array.from({ length: CONCURRENT }, (_, i) => `par-${i}`), tokens);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < par.length) await register(par[next++]);
    }));
    const seconds = (performance.now() - t0) / 1000;
    return {
      paced_rate_per_s: RATE,
      paced_registrations: paced.length,
      paced_achieved_per_s: paced.length / pacedS,
      paced_register_p50_ms: percentile(latencies, 50),
      paced_register_p99_ms: percentile(latencies, 99),
      paced_register_max_ms: Math.max(...latencies),
      cell_cpu_ms_per_registration: cpuMsPer,
      alone_register_p50_ms: percentile(alone, 50),
      alone_register_p99_ms: percentile(alone, 99),
      registrations_per_s: CONCURRENT / seconds,
    };
  } finally {
    client.close();
    abort.abort();
    await server.finished;
  }
}

if (import.meta.main) await runBench("webhook", bench);
