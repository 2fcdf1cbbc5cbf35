/**
 * `deno task bench crd`: cost of validating LatticeCluster documents and generating CRDs.
 */
import { LatticeClusterSchema, latticeCrds } from "../lib/api/mod.ts";
import { runBench } from "./_harness.ts";
import { validClusterDocument } from "../tests/api/fixtures.ts";

if (import.meta.main) {
  await runBench("crd", () => {
    const doc = validClusterDocument();
    const n = 20000;
    let t = performance.now();
    for (let i = 0; i < n; i++) LatticeClusterSchema.safeParse(doc);
    const validate = (performance.now() - t) * 1000 / n;
    t = performance.now();
    for (let i = 0; i < 50; i++) latticeCrds();
    const generate = (performance.now() - t) / 50;
    return Promise.resolve({ validate_us_per_doc: validate, generate_crds_ms: generate });
  });
}
