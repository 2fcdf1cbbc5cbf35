/**
 * `deno task bench reconcile`: N LatticeClusters created at once on a cell → time until
 * every one has its CAPI objects and phase Provisioning, the API requests the controller
 * made per cluster (by verb and resource: where the requests go, docs/scale.md), and the
 * operator's memory. Real kube-apiserver + etcd with the real CAPI CRDs.
 *
 * Sizes (flag `--name=value`, or env): --clusters (BENCH_CLUSTERS, 10,000), --workers
 * (BENCH_WORKERS, 32).
 */
import type { LatticeClusterInput } from "../lib/api/mod.ts";
import { capiNamespace } from "../lib/capi/mod.ts";
import {
  clusterController,
  type ClusterObject,
  LATTICE_CLUSTER_REF,
  secretBootstrapTokens,
} from "../lib/controllers/cluster/mod.ts";
import { EventRecorder, isAlreadyExists, KubeClient, type KubeRequest } from "../lib/kube/mod.ts";
import { BootstrapTokens, MemoryTokenBackend } from "../lib/pki/mod.ts";
import { CLUSTER_API_CRD_SETS, installCrds, startControlPlane } from "../lib/sandbox/mod.ts";
import { benchSize, rssMiB, runBench } from "./_harness.ts";

const CLUSTERS = benchSize("clusters", "BENCH_CLUSTERS", 10_000);
const WORKERS = benchSize("workers", "BENCH_WORKERS", 32);

/** `VERB resource` of an API path: `/apis/g/v/namespaces/x/kind/name/status` → `kind/status`. */
function requestKind(req: KubeRequest): string {
  const parts = req.path.split("/").filter(Boolean);
  const at = parts[0] === "api" ? 2 : 3;
  const rest = parts.slice(at);
  if (rest[0] === "namespaces" && rest.length > 2) rest.splice(0, 2);
  const resource = rest[0] ?? "discovery";
  const sub = rest.length > 2 ? `/${rest[2]}` : "";
  return `${req.method} ${resource}${sub}`;
}
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function doc(i: number): LatticeClusterInput {
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name: `c-${String(i).padStart(4, "0")}` },
    spec: {
      provider: { kubernetes: { version: "1.31.0" }, config: { docker: {} } },
      nodes: { controlPlane: 1, workers: 2 },
      cellRef: "root",
    },
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

if (import.meta.main) {
  await runBench("reconcile", async () => {
    const plane = await startControlPlane({ name: "bench-reconcile" });
    try {
      await installCrds(plane, { lattice: true, upstream: [...CLUSTER_API_CRD_SETS] });
      const driver = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
      const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
      let requests = 0;
      let counting = false;
      const byKind = new Map<string, number>();
      const fetchRaw = client.fetchRaw.bind(client);
      client.fetchRaw = (req: KubeRequest) => {
        requests++;
        if (counting) byKind.set(requestKind(req), (byKind.get(requestKind(req)) ?? 0) + 1);
        return fetchRaw(req);
      };
      const controller = clusterController(client, {
        selfName: "root",
        cell: { url: "https://root.example.com:8443", caBundlePem: CA },
        tokens: secretBootstrapTokens(client, new BootstrapTokens(new MemoryTokenBackend())),
        recorder: new EventRecorder(client, { component: "lattice.dev/bench" }),
        workers: WORKERS,
      });
      const stop = new AbortController();
      const running = controller.run(stop.signal);
      await controller.ready;
      const baseline = requests;
      counting = true;
      let peakRss = rssMiB();
      const sampler = setInterval(() => peakRss = Math.max(peakRss, rssMiB()), 250);

      const t0 = performance.now();
      await pool(Array.from({ length: CLUSTERS }, (_, i) => i), 32, async (i) => {
        // A loaded API server may time a create out after storing it: retry, and take
        // AlreadyExists as done.
        for (let attempt = 0;; attempt++) {
          try {
            await driver.create(doc(i));
            return;
          } catch (error) {
            if (isAlreadyExists(error)) return;
            if (attempt >= 5) throw error;
            await new Promise((resolve) => setTimeout(resolve, 1_000 * (attempt + 1)));
          }
        }
      });
      const createdS = (performance.now() - t0) / 1000;
      let provisioning = 0;
      while (true) {
        // The controller's informer cache sees every status write through its watch: the
        // bench does not list 10,000 objects from the API server four times a second.
        provisioning = controller.store.list().filter((c) =>
          c.status?.phase === "Provisioning"
        ).length;
        if (provisioning >= CLUSTERS) break;
        if (performance.now() - t0 > 600_000) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const allS = (performance.now() - t0) / 1000;
      // Cross-check against the API server once: the cache did not run ahead of it.
      const listed = await driver.list<ClusterObject>(LATTICE_CLUSTER_REF);
      provisioning = listed.items.filter((c) => c.status?.phase === "Provisioning").length;
      const made = requests - baseline;
      clearInterval(sampler);
      const perKind = Object.fromEntries(
        [...byKind].sort((a, b) => b[1] - a[1]).map((
          [kind, n],
        ) => [`requests_per_cluster ${kind}`, n / CLUSTERS]),
      );
      // Spot check: the last cluster's namespace holds its CAPI objects.
      const ns = await driver.resourceFor("v1", "Namespace");
      await driver.get(ns, capiNamespace(doc(CLUSTERS - 1).metadata.name));
      stop.abort();
      await running;
      client.close();
      driver.close();
      return {
        clusters: CLUSTERS,
        workers: WORKERS,
        provisioning: provisioning,
        create_all_s: createdS,
        all_provisioning_s: allS,
        clusters_per_s: provisioning / allS,
        api_requests_per_cluster: made / CLUSTERS,
        operator_rss_peak_mib: peakRss,
        ...perKind,
      };
    } finally {
      await plane.stop();
    }
  });
}
