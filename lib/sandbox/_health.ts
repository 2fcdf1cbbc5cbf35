/** Readiness of a plane's servers, and etcd maintenance through its JSON gateway. */
import type { Supervised } from "./_process.ts";

/** Why a plane is not ready, and whose fault it is. */
export interface Failure {
  process: Supervised;
  reason: string;
}

/** Inputs of {@link waitReady}. */
export interface ReadyOptions {
  etcd: Supervised;
  api: Supervised;
  etcdEndpoint: string;
  timeoutMs: number;
}

/** Polls /readyz until it answers 200; otherwise says which process is to blame. */
export async function waitReady(
  client: Deno.HttpClient,
  server: string,
  { etcd, api, etcdEndpoint, timeoutMs }: ReadyOptions,
): Promise<Failure | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    for (const p of [etcd, api]) {
      if (!p.running()) return { process: p, reason: `exited with code ${await p.exited}` };
    }
    try {
      const res = await fetch(`${server}/readyz`, {
        client,
        signal: AbortSignal.timeout(5_000),
      });
      const body = await res.text();
      if (res.ok) return undefined;
      last = `/readyz answered ${res.status}: ${
        body.split("\n").filter((l) => l.startsWith("[-]")).join(", ")
      }`;
    } catch (e) {
      last = `/readyz unreachable: ${(e as Error).message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const etcdHealthy = await fetch(`${etcdEndpoint}/health`, { signal: AbortSignal.timeout(2_000) })
    .then(async (r) => (await r.text(), r.ok)).catch(() => false);
  if (!etcdHealthy) return { process: etcd, reason: `not healthy after ${timeoutMs} ms` };
  return { process: api, reason: `not ready after ${timeoutMs} ms (${last})` };
}

/** Compacts etcd to its current revision through its JSON gateway. */
export async function compact(etcdEndpoint: string): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${etcdEndpoint}${path}`, {
      method: "POST",
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Cannot compact etcd: ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as { header?: { revision?: string } };
  };
  // Any range answers with the store's current revision in its header.
  const range = await post("/v3/kv/range", { key: btoa("\0"), limit: 1 });
  const revision = range.header?.revision;
  if (!revision) throw new Error("Cannot compact etcd: no revision in the range answer");
  await post("/v3/kv/compaction", { revision, physical: true });
}
