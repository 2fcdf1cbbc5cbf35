import { writeFleet } from "/work/main/bench/cli.ts";
import { scanHierarchy, loadRepo, validateRepo } from "/work/main/lib/gitops/mod.ts";
const dir = "/tmp/gp/fleet";
try { Deno.statSync(dir) } catch { Deno.mkdirSync(dir); writeFleet(dir, { regions: 10, cellsPerRegion: 10, clusters: 10000 }); }
for (let i = 0; i < 3; i++) {
  let t = performance.now();
  const h = scanHierarchy(dir);
  console.log("scan", performance.now() - t, h.nodes.length);
}
let t = performance.now();
const repo = loadRepo(dir);
console.log("load", performance.now() - t);
t = performance.now();
const report = validateRepo(repo);
console.log("validate", performance.now() - t, report.errorCount);
