/**
 * `deno task bench webhook`: how many registrations the bootstrap webhook sustains and
 * the latency of one, over real HTTPS on localhost (CSR check, token lease/commit in
 * memory, signing, building the child bundle, TLS). CSRs are made beforehand: the child
 * pays for those, not the cell.
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
import { percentile, runBench } from "./_harness.ts";

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

    const seq = await prepare(Array.from({ length: SEQUENTIAL }, (_, i) => `seq-${i}`), tokens);
    const latencies: number[] = [];
    for (const r of seq) {
      const t = performance.now();
      await register(r);
      latencies.push(performance.now() - t);
    }

    const par = await prepare(Array.from({ length: CONCURRENT }, (_, i) => `par-${i}`), tokens);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < par.length) await register(par[next++]);
    }));
    const seconds = (performance.now() - t0) / 1000;
    return {
      registrations_per_s: CONCURRENT / seconds,
      register_p50_ms: percentile(latencies, 50),
      register_p99_ms: percentile(latencies, 99),
    };
  } finally {
    client.close();
    abort.abort();
    await server.finished;
  }
}

if (import.meta.main) await runBench("webhook", bench);
