/**
 * `deno task bench placements`: 500 placements across 50 clusters → all Ready, through the
 * REAL Flux controllers (source-controller + kustomize-controller, run by the sandbox's Flux
 * kubelet) and a real kube-apiserver.
 *
 * What a "cluster" is here: one placement controller instance with its own name, its own
 * caches (placements, registrations, inherited set, Flux objects — selected by a per-cluster
 * label) and its own reconcile workers, all in this process. The 50 share ONE API server and
 * ONE pair of Flux controllers: 50 planes with their own Flux would need ~10 GB and 100
 * controller processes, more than the 2-core machine holds. So the figures are those of the
 * placement controller at 10 placements per cluster, plus a single Flux doing the work of 50
 * — Flux's throughput dominates the wall time; its controllers run with `--concurrent=8`
 * (PLACEMENT_FLUX_CONCURRENCY) instead of Flux's default (2 for source-, 4 for
 * kustomize-controller), as one Flux serving 50 clusters' worth of sources would be tuned.
 *
 * Every placement gets its own candidate + pinned GitRepository and a Kustomization (1,500
 * Flux objects), from a local service repository (Deployment + Service + ConfigMap) served
 * by `git http-backend`; ten services are registered at the root and handed down.
 *
 * Metrics: time until all Ready (and p50/p99 of the time each placement became Ready), API
 * requests per placement (every request of the 50 controllers, watches included, divided by
 * the placements), the controllers' heap and RSS growth (all 50, and per cluster), and the
 * RSS of the two Flux controllers.
 *
 * Sizes: PLACEMENT_CLUSTERS (default 50) × PLACEMENTS_PER_CLUSTER (default 10).
 */
import { type BenchResults, percentile, processRssKiB, rssMiB, runBench } from "./_harness.ts";
import { KubeClient } from "../lib/kube/mod.ts";
import { LATTICE_SERVICE_PLACEMENT_REF } from "../lib/api/refs.ts";
import { GIT_REPOSITORY_REF, KUSTOMIZATION_REF } from "../lib/flux/names.ts";
import { FluxInstaller } from "../lib/flux/mod.ts";
import { FluxKubelet } from "../lib/sandbox/flux_kubelet.ts";
import { startGitServer } from "../lib/sandbox/git_server.ts";
import { commitRepo, createServiceRepo, writeFiles } from "../lib/sandbox/service_repo.ts";
import { startControlPlane } from "../lib/sandbox/mod.ts";
import type { LatticeServicePlacementStatus } from "../lib/api/mod.ts";
import {
  handDown,
  placementControllers,
  registrationsHash,
  storeInherited,
} from "../lib/controllers/placement/mod.ts";
import { Buffer } from "node:buffer";
import { stringify } from "yaml";

const CLUSTERS = Number(Deno.env.get("PLACEMENT_CLUSTERS") ?? 50);
const PER_CLUSTER = Number(Deno.env.get("PLACEMENTS_PER_CLUSTER") ?? 10);
const SERVICES = 10;
const TRACE = Deno.env.get("PLACEMENT_TRACE") !== undefined;
const FLUX_CONCURRENCY = Number(Deno.env.get("PLACEMENT_FLUX_CONCURRENCY") ?? 8);
const BENCH_LABEL = "lattice.dev/bench-cluster";

interface Placement {
  metadata: { name: string; creationTimestamp?: string };
  status?: LatticeServicePlacementStatus;
}

async function placements(): Promise<BenchResults> {
  const plane = await startControlPlane({ name: "bench-placements", crds: { lattice: true } });
  const root = await Deno.makeTempDir({ prefix: "lattice-bench-placements-" });
  const client = KubeClient.fromKubeconfig(plane.kubeconfig);
  const abort = new AbortController();
  const kubelet = new FluxKubelet(client, {
    cluster: "bench",
    kubeconfigPath: plane.kubeconfigPath,
    dir: `${root}/flux`,
    pollMs: 500,
    extraArgs: [`--concurrent=${FLUX_CONCURRENCY}`],
  });
  const server = await startGitServer({ projectRoot: root });
  try {
    // Headless: 500 Services would exhaust the sandbox API server's service IP range.
    await createServiceRepo(`${root}/payments`, "payments", { headless: true });
    await Deno.mkdir(`${root}/fleet`);
    await new Deno.Command("git", { args: ["-C", `${root}/fleet`, "init", "-q", "-b", "main"] })
      .output();
    await writeFiles(`${root}/fleet`, "bench", {
      "kustomization.yaml": stringify({
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: [],
      }),
    });
    await commitRepo(`${root}/fleet`, "bench");
    kubelet.start();
    await client.apply({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "lattice-system" },
    });
    await new FluxInstaller(client, { pollMs: 500 }).install({
      version: "2.9.3",
      repoUrl: `${server.url}/fleet`,
      branch: "main",
      path: "bench",
      gitCredentials: Buffer.from(""),
      components: [],
      interval: "10m",
      suspend: false,
      force: false,
    });
    const url = `${server.url}/payments`;
    const set = handDown(
      "root",
      Array.from({ length: SERVICES }, (_, i) => ({
        metadata: { name: `svc-${i}` },
        spec: {
          source: { git: { url, path: "./deploy", tag: "v1.0.0" } },
          defaults: { replicas: 1, resources: { requests: { cpu: "100m" } } },
        },
      })),
      [],
    );
    await storeInherited(client, set, registrationsHash(set));

    // The 50 "clusters": one controller each, with its own API client whose requests count.
    let requests = 0;
    const kinds = new Map<string, number>();
    const clients: KubeClient[] = [];
    const heapBefore = Deno.memoryUsage().heapUsed / 2 ** 20;
    const rssBefore = rssMiB();
    const running: Promise<unknown>[] = [];
    for (let c = 0; c < CLUSTERS; c++) {
      const own = KubeClient.fromKubeconfig(plane.kubeconfig);
      const fetchRaw = own.fetchRaw.bind(own);
      own.fetchRaw = (req) => {
        requests++;
        if (TRACE) {
          const k = `${req.method ?? "GET"} ${
            req.path.replace(/\/(svc|lattice)-[a-z0-9-]+/g, "/X")
          }`;
          kinds.set(k, (kinds.get(k) ?? 0) + 1);
        }
        return fetchRaw(req);
      };
      clients.push(own);
      const p = placementControllers(own, {
        selfName: `c${c}`,
        signal: abort.signal,
        labelSelector: `${BENCH_LABEL}=c${c}`,
        render: { interval: "10m", labels: { [BENCH_LABEL]: `c${c}` } },
        workers: 2,
      });
      running.push(...p.controllers.map((ctl) => ctl.run(abort.signal)));
    }
    const started = performance.now();
    const created = new Map<string, number>();
    const jobs: Promise<void>[] = [];
    for (let c = 0; c < CLUSTERS; c++) {
      for (let i = 0; i < PER_CLUSTER; i++) {
        const name = `svc-${i % SERVICES}-c${c}${i >= SERVICES ? `-${i}` : ""}`;
        jobs.push(
          client.create({
            apiVersion: "lattice.dev/v1alpha1",
            kind: "LatticeServicePlacement",
            metadata: { name, labels: { [BENCH_LABEL]: `c${c}` } },
            spec: { serviceRef: `svc-${i % SERVICES}`, overrides: { replicas: 1 + (i % 3) } },
          }).then(() => void created.set(name, performance.now())),
        );
        if (jobs.length >= 16) await Promise.all(jobs.splice(0));
      }
    }
    await Promise.all(jobs);
    const total = CLUSTERS * PER_CLUSTER;
    const readyAt = new Map<string, number>();
    const deadline = Date.now() + 30 * 60_000;
    let polls = 0;
    while (readyAt.size < total) {
      if (Date.now() > deadline) throw new Error(`only ${readyAt.size}/${total} Ready in 30 min`);
      const list = await client.list<Placement>(LATTICE_SERVICE_PLACEMENT_REF);
      const now = performance.now();
      for (const p of list.items) {
        const ready = p.status?.conditions?.find((x) => x.type === "Ready")?.status === "True";
        if (ready && !readyAt.has(p.metadata.name)) readyAt.set(p.metadata.name, now);
      }
      if (readyAt.size < total) await new Promise((r) => setTimeout(r, 1_000));
      if (readyAt.size < total && ++polls % 30 === 0) {
        const s = ((performance.now() - started) / 1000).toFixed(0);
        console.log(`${s} s: ${readyAt.size}/${total} Ready, load ${Deno.loadavg()[0]}`);
      }
    }
    const allReady = (performance.now() - started) / 1000;
    if (TRACE) {
      console.log([...kinds].sort((a, b) => b[1] - a[1]));
      for (const ref of [GIT_REPOSITORY_REF, KUSTOMIZATION_REF, LATTICE_SERVICE_PLACEMENT_REF]) {
        const list = await client.list<Placement & { metadata: { namespace?: string } }>(ref);
        for (const o of list.items) {
          const ready = o.status?.conditions?.find((x) => x.type === "Ready");
          console.log(
            ref.kind,
            o.metadata.namespace ?? "",
            o.metadata.name,
            o.metadata.creationTimestamp,
            ready?.lastTransitionTime,
          );
        }
      }
    }
    const perPlacement = [...readyAt].map(([n, t]) => (t - (created.get(n) ?? started)) / 1000);
    const heapAfter = Deno.memoryUsage().heapUsed / 2 ** 20;
    const rssAfter = rssMiB();
    let fluxKiB = 0;
    for (const pid of kubelet.pids()) fluxKiB += await processRssKiB(pid);
    const [load1] = Deno.loadavg();
    abort.abort();
    await Promise.allSettled(running);
    for (const c of clients) c.close();
    return {
      clusters: CLUSTERS,
      placements: total,
      all_ready_s: allReady,
      placement_ready_p50_s: percentile(perPlacement, 50),
      placement_ready_p99_s: percentile(perPlacement, 99),
      api_requests_per_placement: requests / total,
      process_heap_used_mib: heapAfter,
      controllers_heap_growth_mib: heapAfter - heapBefore,
      controllers_rss_growth_mib: rssAfter - rssBefore,
      controllers_rss_per_cluster_mib: (rssAfter - rssBefore) / CLUSTERS,
      flux_rss_mib: fluxKiB / 1024,
      load_average_1m: load1,
    };
  } finally {
    abort.abort();
    await kubelet.stop();
    await server.stop();
    client.close();
    await plane.stop();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

await runBench("placements", placements);
