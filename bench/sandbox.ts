/**
 * `deno task bench sandbox`: the example fleet end to end (bootstrap cell → mgmt → workload,
 * both pivoted) on real local control planes with the CAPI simulator. Reports the time to
 * Ready per cluster, the time spent pivoting, the total, and the peak memory of the whole
 * run: this process plus every etcd and kube-apiserver, sampled every 250 ms.
 */
import { createLogger } from "../lib/log/mod.ts";
import { exampleClusters, inProcessOperator, Sandbox, sourceShim } from "../lib/sandbox/mod.ts";
import { type BenchResults, peakMemory, runBench } from "./_harness.ts";

/** This process and every plane of the sandbox (the bootstrap's while it runs). */
export function sandboxPids(sandbox: Sandbox | undefined): number[] {
  const pids = [Deno.pid, ...(sandbox?.planeOf("bootstrap")?.pids() ?? [])];
  for (const sim of sandbox?.simulator.clusters.values() ?? []) pids.push(...sim.plane.pids());
  return pids;
}

async function fleet(): Promise<BenchResults> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-bench-sandbox-" });
  let sandbox: Sandbox | undefined;
  const memory = peakMemory(() => sandboxPids(sandbox));
  const started = performance.now();
  try {
    sandbox = await Sandbox.up({
      clusters: exampleClusters(),
      dir,
      logger: createLogger({ level: "error", format: "text" }),
      startOperator: inProcessOperator({ binary: await sourceShim(`${dir}/bin`) }),
    });
    const total = performance.now() - started;
    await memory.sample();
    const results: BenchResults = { total_to_all_ready_s: total / 1000 };
    const history = sandbox.tracker.history;
    for (const name of ["mgmt", "workload"]) {
      const ts = history.filter((t) => t.cluster === name);
      const first = ts[0]?.atMs ?? 0;
      const ready = ts.find((t) => t.to === "Ready")?.atMs ?? 0;
      const pivoting = ts.find((t) => t.to === "Pivoting")?.atMs ?? ready;
      results[`${name}_to_ready_s`] = (ready - first) / 1000;
      results[`${name}_pivot_s`] = (ready - pivoting) / 1000;
    }
    results.peak_memory_mib = memory.peakMiB();
    return results;
  } finally {
    memory.stop();
    await sandbox?.down();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await runBench("sandbox", fleet);
