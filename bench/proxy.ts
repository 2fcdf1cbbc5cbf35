/**
 * `deno task bench proxy`: the Kubernetes API proxy over a real agent gRPC stream between
 * two real control planes. GET latency direct vs proxied (p50, p99, ratio), throughput
 * through one cell, watch event latency at ~1,000 events/s, and events lost by a watch
 * that resumes from its last resourceVersion across 100 forced stream resets; and for
 * upgraded connections (proxy_streams.ts) port-forward throughput proxied vs direct, exec
 * round trip and the memory of an open relay.
 */
import { percentile, runBench } from "./_harness.ts";
import { grantAccess, type ProxyEnv, startProxyEnv } from "../tests/proxy/_env.ts";
import { streamFigures } from "./proxy_streams.ts";

const OBJECT = "/api/v1/namespaces/team/configmaps/probe";

async function timed(n: number, fn: () => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
}

async function latency(env: ProxyEnv, token: string) {
  const direct = Deno.createHttpClient({
    caCerts: [env.child.caCertPem],
    cert: env.child.clientCertPem,
    key: env.child.clientKeyPem,
  });
  try {
    const viaDirect = async () => {
      const res = await fetch(env.child.server + OBJECT, { client: direct });
      if (!res.ok) throw new Error(`Cannot GET directly: ${res.status}`);
      await res.arrayBuffer();
    };
    const viaProxy = async () => {
      const res = await env.fetch(`/clusters/child${OBJECT}`, token);
      if (!res.ok) throw new Error(`Cannot GET through the proxy: ${res.status}`);
      await res.arrayBuffer();
    };
    await timed(30, viaDirect);
    await timed(30, viaProxy);
    const d = await timed(400, viaDirect);
    const p = await timed(400, viaProxy);
    return {
      get_direct_p50_ms: percentile(d, 50),
      get_direct_p99_ms: percentile(d, 99),
      get_proxied_p50_ms: percentile(p, 50),
      get_proxied_p99_ms: percentile(p, 99),
      get_p50_ratio: percentile(p, 50) / percentile(d, 50),
      get_p99_ratio: percentile(p, 99) / percentile(d, 99),
    };
  } finally {
    direct.close();
  }
}

async function throughput(env: ProxyEnv, token: string, seconds = 5, concurrency = 32) {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const res = await env.fetch(`/clusters/child${OBJECT}`, token);
      await res.arrayBuffer();
      if (res.ok) done++;
      else failed++;
    }
  }));
  return { throughput_rps: done / seconds, throughput_errors: failed };
}

interface WatchEvent {
  type: string;
  object: { metadata?: { resourceVersion?: string }; data?: Record<string, string> };
}

/** Reads newline-delimited watch events, calling `onEvent` for each. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: WatchEvent) => void,
): Promise<void> {
  let buffer = "";
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim()) onEvent(JSON.parse(line));
    }
  }
}

/** Writes at `rate`/s for `seconds` (patches of one object, stamped with the send time). */
async function writeAt(env: ProxyEnv, rate: number, seconds: number, name: string) {
  const start = performance.now();
  const total = rate * seconds;
  const inFlight = new Set<Promise<unknown>>();
  let failures = 0;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const p = env.childClient.patch(
      { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true },
      name,
      { data: { t: String(performance.timeOrigin + performance.now()), i: String(i) } },
      { namespace: "team" },
    ).catch((error) => {
      failures++;
      if (failures === 1) console.error("write failed:", error, error?.cause);
    }).finally(() => inFlight.delete(p));
    inFlight.add(p);
    // Bound the writers so a slow apiserver lowers the rate instead of piling up requests.
    if (inFlight.size >= 16) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return total / ((performance.now() - start) / 1000);
}

async function watchLatency(env: ProxyEnv, token: string) {
  await env.childClient.apply({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "ticker", namespace: "team" },
    data: {},
  });
  const path = "/api/v1/namespaces/team/configmaps?watch=1&fieldSelector=metadata.name%3Dticker";
  const stop = new AbortController();
  // The same events watched directly and through the proxy: the difference per event is what
  // the proxy adds; the end-to-end figure also holds the apiserver's own write latency.
  const direct = Deno.createHttpClient({
    caCerts: [env.child.caCertPem],
    cert: env.child.clientCertPem,
    key: env.child.clientKeyPem,
  });
  const directRes = await fetch(env.child.server + path, { client: direct, signal: stop.signal });
  const proxiedRes = await env.fetch(`/clusters/child${path}`, token, { signal: stop.signal });
  const now = () => performance.timeOrigin + performance.now();
  const directAt = new Map<string, number>();
  const proxiedAt = new Map<string, number>();
  const endToEnd: number[] = [];
  const readingDirect = readEvents(directRes.body!, (event) => {
    if (event.type === "MODIFIED") directAt.set(event.object.data?.i ?? "", now());
  }).catch(() => {});
  const readingProxied = readEvents(proxiedRes.body!, (event) => {
    const sent = Number(event.object?.data?.t);
    if (event.type !== "MODIFIED" || !sent) return;
    proxiedAt.set(event.object.data?.i ?? "", now());
    endToEnd.push(now() - sent);
  }).catch(() => {});
  const rate = await writeAt(env, 1000, 4, "ticker");
  await new Promise((r) => setTimeout(r, 500));
  stop.abort();
  await Promise.all([readingDirect, readingProxied]);
  direct.close();
  const added: number[] = [];
  for (const [i, at] of proxiedAt) {
    const base = directAt.get(i);
    if (base !== undefined) added.push(at - base);
  }
  return {
    watch_write_rate_per_s: rate,
    watch_events_received: proxiedAt.size,
    watch_events_received_direct: directAt.size,
    watch_end_to_end_p50_ms: percentile(endToEnd, 50),
    watch_end_to_end_p99_ms: percentile(endToEnd, 99),
    watch_proxy_added_p50_ms: percentile(added, 50),
    watch_proxy_added_p99_ms: percentile(added, 99),
  };
}

/** A watch resumed from its last resourceVersion after each of `resets` stream resets. */
async function resumeAcrossResets(env: ProxyEnv, token: string, resets: number) {
  const name = "counter";
  await env.childClient.apply({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "team" },
    data: { i: "-1" },
  });
  const first = await env.childClient.request<{ metadata: { resourceVersion: string } }>({
    method: "GET",
    path: `/api/v1/namespaces/team/configmaps/${name}`,
  });
  let rv = first.metadata.resourceVersion;
  const seen = new Set<string>();
  const stop = new AbortController();
  let reopened = 0;
  const watching = (async () => {
    while (!stop.signal.aborted) {
      const res = await env.fetch(
        `/clusters/child/api/v1/namespaces/team/configmaps?watch=1&resourceVersion=${rv}` +
          `&fieldSelector=metadata.name%3D${name}&allowWatchBookmarks=true`,
        token,
        { signal: stop.signal },
      ).catch(() => undefined);
      if (!res?.ok) {
        await res?.body?.cancel();
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      reopened++;
      await readEvents(res.body!, (event) => {
        rv = event.object?.metadata?.resourceVersion ?? rv;
        if (event.type === "MODIFIED") seen.add(event.object.data?.i ?? "");
      }).catch(() => {});
    }
  })();
  let written = 0;
  for (let r = 0; r < resets; r++) {
    for (let i = 0; i < 5; i++) {
      await env.childClient.patch(
        { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true },
        name,
        { data: { i: String(written++) } },
        { namespace: "team" },
      );
    }
    await env.resetStream!();
  }
  const deadline = Date.now() + 10_000;
  while (seen.size < written && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  stop.abort();
  await watching;
  return {
    resets,
    resume_events_written: written,
    resume_events_lost: written - seen.size,
    resume_watch_opens: reopened,
  };
}

if (import.meta.main) {
  await runBench("proxy", async () => {
    const env = await startProxyEnv({ transport: "stream" });
    try {
      await grantAccess(env, "alice");
      const token = await env.token("alice");
      await env.childClient.apply({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "probe", namespace: "team" },
        data: { a: "b" },
      });
      const stage = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
        console.error(`proxy bench: ${name}`);
        return await fn();
      };
      return {
        ...(await stage("GET latency", () => latency(env, token))),
        ...(await stage("throughput", () => throughput(env, token))),
        ...(await stage("watch latency", () => watchLatency(env, token))),
        ...(await stage("resets", () => resumeAcrossResets(env, token, 100))),
        ...(await stage("exec, port-forward, relays", () => streamFigures(env, token))),
      };
    } finally {
      await env.close();
    }
  });
}
