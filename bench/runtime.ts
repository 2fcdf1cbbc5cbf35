/**
 * `deno task bench runtime`: the watch loop on a real control plane.
 * - watch_events_per_s / list_events_per_s: events through watcher → store.
 * - store_bytes_per_object, store_memory_ratio: heap held by the store for 10,000
 *   Deployments, over their JSON size as served (goal ≤ 1.5×). Measured in a child
 *   process with --expose-gc so garbage does not count.
 * - lost_updates: over 100 forced watch resets (connections cut under continuous writes),
 *   objects whose final state the store missed, plus updates seen going backwards.
 */
import { KubeClient, type KubeObject } from "../lib/kube/mod.ts";
import { Store, watcher } from "../lib/runtime/mod.ts";
import { startControlPlane } from "../lib/sandbox/mod.ts";
import { type BenchResults, runBench } from "./_harness.ts";
import { startResetProxy } from "./_reset_proxy.ts";
import { CONFIGMAP_REF, DEPLOYMENT_REF } from "../lib/kube/refs.ts";

const OBJECTS = 10_000;

/** A realistic Deployment. */
export function deployment(i: number): KubeObject {
  const labels = { app: `app-${i}`, tier: i % 2 ? "web" : "worker", team: `team-${i % 17}` };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: `app-${i}`, namespace: "bench", labels, annotations: { owner: "bench" } },
    spec: {
      replicas: 1 + (i % 3),
      selector: { matchLabels: { app: labels.app } },
      template: {
        metadata: { labels },
        spec: {
          containers: [{
            name: "main",
            image: `registry.example.com/app:${i % 50}`,
            args: ["--port=8080", `--id=${i}`],
            ports: [{ containerPort: 8080, name: "http" }],
            env: [{ name: "MODE", value: "bench" }, { name: "INDEX", value: String(i) }],
            resources: { requests: { cpu: "10m", memory: "16Mi" } },
          }],
        },
      },
    },
  };
}

async function inParallel(n: number, width: number, fn: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await fn(next++);
  }));
}

/** Child mode: load JSON lines from `file` into a Store and report heap bytes held. */
async function measureStore(file: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const bytes = await Deno.readFile(file); // external memory: not in heapUsed
  const decoder = new TextDecoder();
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const store = new Store<KubeObject>();
  store.apply({ type: "init" });
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 10) continue;
    store.apply({
      type: "initApply",
      object: JSON.parse(decoder.decode(bytes.subarray(start, i))),
    });
    start = i + 1;
  }
  store.apply({ type: "initDone" });
  gc();
  const held = Deno.memoryUsage().heapUsed - before;
  console.log(JSON.stringify({ held, size: store.size }));
}

/** Store memory against JSON size, for the deployments in namespace bench. */
export async function storeMemory(client: KubeClient): Promise<BenchResults> {
  const list = await client.list<KubeObject>(DEPLOYMENT_REF, { namespace: "bench" });
  const lines = list.items.map((o) =>
    JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", ...o })
  );
  const jsonBytes = lines.reduce((n, l) => n + l.length, 0);
  const stripped = list.items.reduce((n, o) => {
    const { managedFields: _, ...meta } = o.metadata ?? {};
    return n + JSON.stringify({ ...o, metadata: meta }).length;
  }, 0);
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        new URL(import.meta.url).pathname,
        "--measure-store",
        file,
      ],
      stdout: "piped",
    }).output();
    const { held, size } = JSON.parse(new TextDecoder().decode(out.stdout));
    return {
      store_objects: size,
      store_bytes_per_object: Math.round(held / size),
      json_bytes_per_object: Math.round(jsonBytes / size),
      store_memory_ratio: held / jsonBytes,
      store_memory_ratio_vs_stripped_json: held / stripped,
    };
  } finally {
    await Deno.remove(file);
  }
}

async function throughput(client: KubeClient): Promise<BenchResults> {
  const stop = new AbortController();
  const store = new Store<KubeObject>();
  let watched = 0;
  let firstAt = 0;
  let lastAt = 0;
  const pump = (async () => {
    for await (
      const e of watcher(client, DEPLOYMENT_REF, { namespace: "bench", signal: stop.signal })
    ) {
      store.apply(e);
      if (e.type === "apply") {
        if (!watched++) firstAt = performance.now();
        lastAt = performance.now();
      }
    }
  })();
  await store.ready;
  const t0 = performance.now();
  await inParallel(OBJECTS, 32, (i) => client.create(deployment(i)));
  const createS = (performance.now() - t0) / 1000;
  while (store.size < OBJECTS) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await pump;
  // A fresh full list of all objects through the watcher into a new store.
  const relist = new AbortController();
  const fresh = new Store<KubeObject>();
  const t1 = performance.now();
  const listing = (async () => {
    for await (
      const e of watcher(client, DEPLOYMENT_REF, { namespace: "bench", signal: relist.signal })
    ) {
      fresh.apply(e);
      if (e.type === "initDone") relist.abort();
    }
  })();
  await listing;
  const listS = (performance.now() - t1) / 1000;
  return {
    apiserver_creates_per_s: OBJECTS / createS,
    watch_events_per_s: watched / Math.max(0.001, (lastAt - firstAt) / 1000),
    list_events_per_s: fresh.size / listS,
  };
}

/** Lost updates over 100 forced watch resets. */
export async function lostUpdates(client: KubeClient, kubeconfig: string, server: string) {
  const port = Number(new URL(server).port);
  const proxy = startResetProxy(port);
  const viaProxy = KubeClient.fromKubeconfig(
    kubeconfig.replace(server, `https://localhost:${proxy.port}`),
  );
  const keys = 50;
  for (let i = 0; i < keys; i++) {
    await client.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `u${i}`, namespace: "bench" },
      data: { n: "0" },
    });
  }
  const stop = new AbortController();
  const store = new Store<KubeObject>();
  let backwards = 0;
  let restarts = 0;
  const seen = new Map<string, number>();
  const pump = (async () => {
    for await (
      const e of watcher(viaProxy, CONFIGMAP_REF, {
        namespace: "bench",
        signal: stop.signal,
        backoff: { initialMs: 10, maxMs: 200 },
        onRestart: () => restarts++,
      })
    ) {
      store.apply(e);
      if (e.type === "apply" || e.type === "initApply") {
        const key = e.object.metadata!.name!;
        const n = Number((e.object.data as Record<string, string>).n);
        if (n < (seen.get(key) ?? 0)) backwards++;
        seen.set(key, n);
      }
    }
  })();
  await store.ready;
  let writing = true;
  const final = new Map<string, number>();
  const writer = (async () => {
    let n = 0;
    while (writing) {
      n++;
      await inParallel(keys, 10, async (i) => {
        await client.patch(CONFIGMAP_REF, `u${i}`, { data: { n: String(n) } }, {
          namespace: "bench",
        });
        final.set(`u${i}`, n);
      });
    }
  })();
  let resets = 0;
  while (resets < 100) {
    await new Promise((r) => setTimeout(r, 30));
    if (proxy.reset() > 0) resets++;
  }
  writing = false;
  console.error(`lost-updates: ${resets} resets done; settling`);
  await writer;
  console.error("lost-updates: writer stopped");
  const deadline = Date.now() + 30_000;
  const missed = () =>
    [...final].filter(([k, n]) =>
      Number((store.get(`bench/${k}`)?.data as Record<string, string>)?.n) !== n
    ).length;
  while (missed() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const lost = missed() + backwards;
  console.error(`lost-updates: settled (${lost} lost)`);
  stop.abort();
  await pump;
  viaProxy.close();
  proxy.close();
  return { forced_watch_resets: resets, watch_restarts_seen: restarts, lost_updates: lost };
}

if (import.meta.main) {
  if (Deno.args[0] === "--measure-store") {
    await measureStore(Deno.args[1]);
  } else {
    await runBench("runtime", async () => {
      const plane = await startControlPlane({ name: "bench-runtime" });
      const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
      try {
        await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } });
        console.error("throughput…");
        const speed = await throughput(client);
        console.error("store memory…");
        const memory = await storeMemory(client);
        console.error("lost updates…");
        const lost = await lostUpdates(client, plane.kubeconfig, plane.server);
        return { ...speed, ...memory, ...lost };
      } finally {
        client.close();
        await plane.stop();
      }
    });
  }
}
