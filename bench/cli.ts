/**
 * `deno task bench cli`: the GitOps CLI on a 10,000-cluster repository in a 4-level
 * hierarchy (root → 10 regions → 100 cells → 9,889 leaves, each leaf with a placement),
 * run in-process. Goals: validate ≤ 3 s, cluster create ≤ 200 ms, cluster tree ≤ 1 s.
 */
import process from "node:process";
import { type CliContext, rootCommand, runCli } from "../lib/cli/mod.ts";
import { runBench } from "./_harness.ts";
import {
  baseRepoFiles,
  clusterYaml,
  kustomization,
  placementYaml,
} from "../tests/gitops/fixtures.ts";

/** Shape of the generated repository. */
export interface FleetShape {
  regions: number;
  cellsPerRegion: number;
  clusters: number;
}

/** Writes the fleet under `dir`; returns the number of files written. */
export function writeFleet(dir: string, shape: FleetShape): number {
  const files: Record<string, string> = { ...baseRepoFiles() };
  const regions = Array.from({ length: shape.regions }, (_, i) => `region-${i}`);
  files["children/kustomization.yaml"] = kustomization(regions.map((r) => `${r}/cluster.yaml`));
  const cell = (path: string, name: string, parent: string, children: string[]) => {
    files[`${path}/cluster.yaml`] = clusterYaml(name, { parent, cell: true });
    files[`${path}/kustomization.yaml`] = kustomization(["children"]);
    files[`${path}/children/kustomization.yaml`] = kustomization(
      children.map((c) => `${c}/cluster.yaml`),
    );
  };
  const cellCount = shape.regions * shape.cellsPerRegion;
  const leaves = shape.clusters - 1 - shape.regions - cellCount;
  let leaf = 0;
  regions.forEach((region, r) => {
    const cells = Array.from({ length: shape.cellsPerRegion }, (_, c) => `${region}-cell-${c}`);
    cell(`children/${region}`, region, "root", cells);
    cells.forEach((name, c) => {
      const index = r * shape.cellsPerRegion + c;
      const count = Math.floor(leaves / cellCount) + (index < leaves % cellCount ? 1 : 0);
      const names = Array.from({ length: count }, () => `leaf-${leaf++}`);
      const path = `children/${region}/children/${name}`;
      cell(path, name, region, names);
      for (const l of names) {
        const dir = `${path}/children/${l}`;
        files[`${dir}/cluster.yaml`] = clusterYaml(l, { parent: name, workers: 3 });
        files[`${dir}/kustomization.yaml`] = kustomization(["placements"]);
        files[`${dir}/placements/kustomization.yaml`] = kustomization(["payments.yaml"]);
        files[`${dir}/placements/payments.yaml`] = placementYaml("payments", { replicas: 2 });
      }
    });
  });
  Deno.mkdirSync(`${dir}/.git`, { recursive: true });
  const made = new Set<string>();
  for (const [path, text] of Object.entries(files)) {
    const folder = `${dir}/${path.slice(0, path.lastIndexOf("/"))}`;
    if (!made.has(folder)) {
      Deno.mkdirSync(folder, { recursive: true });
      made.add(folder);
    }
    Deno.writeTextFileSync(`${dir}/${path}`, text);
  }
  return Object.keys(files).length;
}

/**
 * Runs one CLI command in-process, discarding output; returns [exit code, wall ms, CPU ms].
 * CPU time is reported beside wall time because the benchmark often shares its cores.
 */
async function timed(cwd: string, args: string[]): Promise<[number, number, number]> {
  const ctx: CliContext = { stdout: () => {}, stderr: () => {}, env: {}, cwd };
  const cpu = process.cpuUsage();
  const start = performance.now();
  const code = await runCli(rootCommand(), args, ctx);
  const used = process.cpuUsage(cpu);
  return [code, performance.now() - start, (used.user + used.system) / 1000];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall and CPU milliseconds of `runs` runs. */
async function measure(cwd: string, args: string[], runs: number): Promise<[number, number]> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [code, ms, cpuMs] = await timed(cwd, args);
    if (code !== 0) throw new Error(`Cannot benchmark lattice ${args.join(" ")}: exit ${code}`);
    wall.push(ms);
    cpu.push(cpuMs);
  }
  return [median(wall), median(cpu)];
}

if (import.meta.main) {
  await runBench("cli", async () => {
    const dir = await Deno.makeTempDir({ prefix: "lattice-bench-" });
    try {
      const t = performance.now();
      const files = writeFleet(dir, { regions: 10, cellsPerRegion: 10, clusters: 10_000 });
      const generate = performance.now() - t;
      const validate = await measure(dir, ["validate"], 3);
      const tree = await measure(dir, ["cluster", "tree"], 5);
      const list = await measure(dir, ["cluster", "list"], 3);
      const creates: [number, number][] = [];
      const deletes: [number, number][] = [];
      for (let i = 0; i < 10; i++) {
        const args = ["cluster", "create", `bench-${i}`, "--parent", `region-${i}-cell-${i}`];
        const [, wall, cpu] = await timed(dir, [...args, "--workers", "5"]);
        creates.push([wall, cpu]);
      }
      for (let i = 0; i < 10; i++) {
        const [, wall, cpu] = await timed(dir, ["cluster", "delete", `bench-${i}`]);
        deletes.push([wall, cpu]);
      }
      const [code] = await timed(dir, ["validate"]);
      if (code !== 0) throw new Error("Cannot benchmark: the repo is invalid after create/delete");
      return {
        clusters: 10_000,
        files,
        generate_repo_ms: generate,
        validate_ms: validate[0],
        validate_cpu_ms: validate[1],
        cluster_create_ms: median(creates.map((c) => c[0])),
        cluster_create_cpu_ms: median(creates.map((c) => c[1])),
        cluster_delete_ms: median(deletes.map((c) => c[0])),
        cluster_tree_ms: tree[0],
        cluster_tree_cpu_ms: tree[1],
        cluster_list_ms: list[0],
        load_average_1m: Deno.loadavg()[0],
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
