/**
 * `deno task bench install`: `lattice install`'s sequence with the sandbox as its bootstrap
 * (real planes; Cluster API's controllers and machines simulated): bootstrap cell up, root
 * provisioned, pivoted, detached, bootstrap deleted. Reports each step's time and the peak
 * memory of the whole run. (The kind path needs a Docker engine; see docs/testing.md.)
 */
import { install } from "../lib/install/install.ts";
import { createLogger } from "../lib/log/mod.ts";
import { inProcessOperator, sandboxRootExample, sourceShim } from "../lib/sandbox/mod.ts";
import { SandboxBootstrap } from "../lib/sandbox/sandbox_bootstrap.ts";
import { type BenchResults, peakMemory, runBench } from "./_harness.ts";
import { sandboxPids } from "./sandbox.ts";

async function run(): Promise<BenchResults> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-bench-install-" });
  const backend = new SandboxBootstrap({
    dir,
    logger: createLogger({ level: "error", format: "text" }),
    startOperator: inProcessOperator({ binary: await sourceShim(`${dir}/bin`) }),
  });
  const memory = peakMemory(() => sandboxPids(backend.sandbox));
  const marks = new Map<string, number>();
  const started = performance.now();
  try {
    await install({
      root: sandboxRootExample(),
      backend,
      kubeconfigOut: `${dir}/root.kubeconfig`,
      pollMs: 250,
      print: (line) => {
        const at = performance.now() - started;
        if (line.startsWith("Applying LatticeCluster")) marks.set("bootstrap_up", at);
        if (line.includes("Provisioning → Pivoting")) marks.set("pivoting", at);
        if (line.includes("Pivoting → Ready")) marks.set("ready", at);
        if (line.startsWith("Deleting the bootstrap")) marks.set("deleting", at);
      },
    });
    const total = performance.now() - started;
    await memory.sample();
    const s = (ms = 0) => ms / 1000;
    return {
      bootstrap_cell_up_s: s(marks.get("bootstrap_up")),
      root_to_ready_s: s((marks.get("ready") ?? 0) - (marks.get("bootstrap_up") ?? 0)),
      root_pivot_s: s((marks.get("ready") ?? 0) - (marks.get("pivoting") ?? 0)),
      detach_and_delete_s: s(total - (marks.get("ready") ?? 0)),
      total_s: s(total),
      peak_memory_mib: memory.peakMiB(),
    };
  } finally {
    memory.stop();
    await backend.sandbox?.down();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await runBench("install", run);
