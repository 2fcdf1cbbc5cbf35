/**
 * `deno task bench pivot`: a full pivot between two real control planes (loopback, the
 * in-process transport, progress on the LatticeCluster status) of the object graph Cluster API
 * v1.14 leaves (the CAPI simulator's, see tests/pivot/fixtures.ts): a 25-object cluster (1
 * control plane + 2 workers; goal ≤ 2 s) and one 2,501-object cluster (1 + 621 machines;
 * goal ≤ 10 s, issue #26), with objects/s and batch sizes. `LATTICE_BENCH_PIVOT_WORKERS`
 * (default 621) sizes the large cluster; `LATTICE_BENCH_PIVOT_PIPELINE` the batches in flight.
 */
import type { KubeClient } from "../lib/kube/client.ts";
import {
  InProcessTransport,
  latticeClusterProgressStore,
  type PivotClient,
  PivotTarget,
  runPivot,
} from "../lib/pivot/mod.ts";
import { clusterFixture } from "../tests/pivot/fixtures.ts";
import {
  createFixture,
  createLatticeCluster,
  type PivotPlanes,
  startPivotPlanes,
} from "../tests/pivot/live.ts";
import { type BenchResults, percentile, runBench } from "./_harness.ts";

/** A client that counts the API requests it makes (load-independent cost). */
function counting(client: KubeClient, count: { requests: number }): PivotClient {
  const tick = <T>(p: Promise<T>) => (count.requests++, p);
  return {
    get: (...a) => tick(client.get(...a)),
    list: (...a) => tick(client.list(...a)),
    create: (...a) => tick(client.create(...a)),
    delete: (...a) => tick(client.delete(...a)),
    patch: (...a) => tick(client.patch(...a)),
    patchStatus: (...a) => tick(client.patchStatus(...a)),
    resourceFor: (...a) => client.resourceFor(...a),
  } as PivotClient;
}

interface Run {
  requests: number;
  ms: number;
  objects: number;
  marks: Record<string, number>;
  transport: InProcessTransport;
}

async function pivotOnce(planes: PivotPlanes, name: string, workers: number): Promise<Run> {
  const namespace = `capi-${name}`;
  await createFixture(planes.source, namespace, clusterFixture(name, namespace, { workers }));
  await createLatticeCluster(planes.source, name);
  const count = { requests: 0 };
  const source = counting(planes.source, count);
  const transport = new InProcessTransport(new PivotTarget(counting(planes.target, count)));
  const marks: Record<string, number> = {};
  const start = performance.now();
  const result = await runPivot({
    client: source,
    clusterName: name,
    namespace,
    transport,
    progress: latticeClusterProgressStore(source, name),
  }, {
    pipeline: Number(Deno.env.get("LATTICE_BENCH_PIVOT_PIPELINE") ?? 4),
    hook: (point) => {
      if (
        point === "batch:0:before" || (!point.startsWith("batch:") && !/^delete:\d/.test(point))
      ) {
        marks[point] = performance.now() - start;
      }
    },
  });
  const ms = performance.now() - start;
  if (!result.done) throw new Error(`Cannot benchmark: pivot of ${name} ended in ${result.phase}`);
  return { ms, objects: result.objects ?? 0, marks, transport, requests: count.requests };
}

if (import.meta.main) {
  await runBench("pivot", async (): Promise<BenchResults> => {
    const planes = await startPivotPlanes();
    try {
      const small: Run[] = [];
      for (let i = 0; i < 5; i++) small.push(await pivotOnce(planes, `small-${i}`, 2));
      const workers = Number(Deno.env.get("LATTICE_BENCH_PIVOT_WORKERS") ?? 621);
      const large = await pivotOnce(planes, "large", workers);
      const bytes = large.transport.batchBytes;
      return {
        small_objects: small[0].objects,
        small_pivot_ms_p50: percentile(small.map((r) => r.ms), 50),
        small_pivot_ms_max: Math.max(...small.map((r) => r.ms)),
        small_objects_per_s: small[0].objects / (percentile(small.map((r) => r.ms), 50) / 1000),
        large_objects: large.objects,
        large_pivot_ms: large.ms,
        large_objects_per_s: large.objects / (large.ms / 1000),
        large_pause_ms: large.marks["pause:after"] ?? 0,
        large_discover_ms: (large.marks["batch:0:before"] ?? 0) - (large.marks["pause:after"] ?? 0),
        large_send_ms: (large.marks["complete:before"] ?? 0) - (large.marks["batch:0:before"] ?? 0),
        large_complete_ms: (large.marks["delete:before"] ?? 0) -
          (large.marks["complete:before"] ?? 0),
        large_delete_ms: (large.marks["done:before"] ?? 0) - (large.marks["delete:before"] ?? 0),
        large_api_requests_per_object: large.requests / large.objects,
        large_batches: bytes.length,
        batch_objects_max: Math.max(...large.transport.batchObjects),
        batch_kib_max: Math.max(...bytes) / 1024,
        batch_kib_mean: bytes.reduce((a, b) => a + b, 0) / bytes.length / 1024,
      };
    } finally {
      await planes.stop();
    }
  });
}
