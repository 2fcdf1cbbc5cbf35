/**
 * `deno task bench reconcile`: 1,000 LatticeClusters created at once on a cell → time
 * until every one has its CAPI objects and phase Provisioning, and the API requests the
 * controller made per cluster. Real kube-apiserver + etcd with the real CAPI CRDs.
 */
import type { LatticeClusterInput } from "../lib/api/mod.ts";
import { capiNamespace } from "../lib/capi/mod.ts";
import {
  clusterController,
  type ClusterObject,
  LATTICE_CLUSTER_REF,
  secretBootstrapTokens,
} from "../lib/controllers/cluster/mod.ts";
import { EventRecorder, KubeClient, type KubeRequest } from "../lib/kube/mod.ts";
import { BootstrapTokens, MemoryTokenBackend } from "../lib/pki/mod.ts";
import { CLUSTER_API_CRD_SETS, installCrds, startControlPlane } from "../lib/sandbox/mod.ts";
import { runBench } from "./_harness.ts";

const CLUSTERS = Number(Deno.env.get("BENCH_CLUSTERS") ?? 1000);
const WORKERS = Number(Deno.env.get("BENCH_WORKERS") ?? 32);
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
      const fetchRaw = client.fetchRaw.bind(client);
      client.fetchRaw = (req: KubeRequest) => {
        requests++;
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

      const t0 = performance.now();
      await pool(Array.from({ length: CLUSTERS }, (_, i) => i), 32, async (i) => {
        await driver.create(doc(i));
      });
      const createdS = (performance.now() - t0) / 1000;
      let provisioning = 0;
      while (true) {
        const list = await driver.list<ClusterObject>(LATTICE_CLUSTER_REF);
        provisioning = list.items.filter((c) => c.status?.phase === "Provisioning").length;
        if (provisioning >= CLUSTERS) break;
        if (performance.now() - t0 > 600_000) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const allS = (performance.now() - t0) / 1000;
      const made = requests - baseline;
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
      };
    } finally {
      await plane.stop();
    }
  });
}
