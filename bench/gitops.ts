/**
 * `deno task bench gitops`: the GitOps loop in the sandbox with the REAL Flux controllers.
 *
 * - root_ready_with_flux_s: `sandbox up` until mgmt (the repository root) is Ready with a
 *   healthy Flux it got from the bootstrap cell;
 * - commit_to_cell_ready_s / commit_to_leaf_ready_s: `lattice cluster create` + `git
 *   commit` until the new cluster reports Ready with a healthy Flux (a cell `eu` under mgmt,
 *   then a leaf `eu-prod-1` under eu: 3 levels of Flux);
 * - commit_to_leaf_workers_changed_s: `lattice cluster scale` + commit until the leaf's own
 *   MachineDeployment asks for the new count.
 * - flux_upgrade_3_levels_s (and per level): `lattice flux set-version` + commit until all
 *   three clusters report the new version (root first);
 * - flux_controllers / flux_rss_mib / flux_rss_per_controller_mib / flux_cpu_s: what the real
 *   controllers add to the sandbox (summed resident memory at the end; CPU seconds used).
 *
 * Not measured here: commit → child workers changed (needs the spec sync after the pivot,
 * issue #16).
 */
import { type BenchResults, processRssKiB, runBench } from "./_harness.ts";
import { readyWithFlux, scaleAndWait, startGitopsFleet } from "../tests/e2e/_gitops.ts";
import { until } from "../tests/_until.ts";
import { capiNamespace, MACHINE_DEPLOYMENT, machineDeploymentName } from "../lib/capi/mod.ts";

async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the comm field.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function gitops(): Promise<BenchResults> {
  const started = performance.now();
  const fleet = await startGitopsFleet({ fluxVersion: "2.7.3" });
  const results: BenchResults = {};
  try {
    await fleet.waitCluster("mgmt", "bootstrap", "Flux", (c) => readyWithFlux(c, "2.7.3"));
    results.root_ready_with_flux_s = (performance.now() - started) / 1000;

    let t = performance.now();
    await fleet.cli(
      "cluster",
      "create",
      "eu",
      "--parent",
      "mgmt",
      "--cell",
      "--cell-host",
      "localhost",
      "--workers",
      "1",
      "--control-plane-nodes",
      "1",
    );
    await fleet.commit("Add eu");
    await fleet.waitCluster("eu", "mgmt", "Ready", (c) => readyWithFlux(c, "2.7.3"), 900_000);
    results.commit_to_cell_ready_s = (performance.now() - t) / 1000;

    t = performance.now();
    await fleet.cli(
      "cluster",
      "create",
      "eu-prod-1",
      "--parent",
      "eu",
      "--workers",
      "1",
      "--control-plane-nodes",
      "1",
    );
    await fleet.commit("Add eu-prod-1");
    await fleet.waitCluster("eu-prod-1", "eu", "Ready", (c) => readyWithFlux(c, "2.7.3"), 900_000);
    results.commit_to_leaf_ready_s = (performance.now() - t) / 1000;

    // `lattice cluster scale` + commit until the leaf's own MachineDeployment asks for it:
    // the parent's Flux applies the copy, the spec sync hands it down, the leaf's CAPI follows.
    t = performance.now();
    await scaleAndWait(fleet, "eu-prod-1", 2);
    const leaf = fleet.client("eu-prod-1");
    const mdRef = await leaf.resourceFor(MACHINE_DEPLOYMENT.apiVersion, MACHINE_DEPLOYMENT.kind);
    await until("the leaf's MachineDeployment asks for 2 workers", async () => {
      const md = await leaf.get<{ spec?: { replicas?: number } }>(
        mdRef,
        machineDeploymentName("eu-prod-1"),
        capiNamespace("eu-prod-1"),
      );
      return md.spec?.replicas === 2 ? true : undefined;
    }, 300_000);
    results.commit_to_leaf_workers_changed_s = (performance.now() - t) / 1000;

    t = performance.now();
    await fleet.cli("flux", "set-version", "2.9.3");
    await fleet.commit("Flux 2.9.3");
    const levels: [string, string, string][] = [
      ["mgmt", "bootstrap", "flux_upgrade_root_s"],
      ["eu", "mgmt", "flux_upgrade_cell_s"],
      ["eu-prod-1", "eu", "flux_upgrade_leaf_s"],
    ];
    const pending = new Set(levels.map((l) => l[0]));
    const deadline = Date.now() + 900_000;
    while (pending.size && Date.now() < deadline) {
      for (const [name, on, metric] of levels) {
        if (!pending.has(name)) continue;
        const c = await fleet.cluster(name, on);
        if (c && readyWithFlux(c, "2.9.3")) {
          results[metric] = (performance.now() - t) / 1000;
          pending.delete(name);
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (pending.size) throw new Error(`Flux upgrade did not reach ${[...pending].join(", ")}`);
    results.flux_upgrade_3_levels_s = (performance.now() - t) / 1000;

    const pids = fleet.sandbox.gitops!.pids();
    let rssKiB = 0;
    let cpu = 0;
    for (const pid of pids) {
      rssKiB += await processRssKiB(pid);
      cpu += await cpuSeconds(pid);
    }
    results.flux_controllers = pids.length;
    results.flux_rss_mib = rssKiB / 1024;
    results.flux_rss_per_controller_mib = pids.length ? rssKiB / 1024 / pids.length : 0;
    results.flux_cpu_s = cpu;
    results.total_s = (performance.now() - started) / 1000;
    return results;
  } finally {
    await fleet.down();
  }
}

if (import.meta.main) await runBench("gitops", gitops);
