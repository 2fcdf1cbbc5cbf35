/**
 * Seed-shaped spec: a leaf written as `cell: {enabled: false}` is a leaf — it reaches Ready
 * in the sandbox like a cluster without `cell`, serves no cell endpoints and is not Failed.
 */
import assert from "node:assert/strict";
import { conditionOf, ownCluster, seedCluster, withSeedSandbox } from "./_seed_sandbox.ts";

Deno.test("a leaf written as cell: {enabled: false} reaches Ready and serves no cell", async () => {
  const leaf = seedCluster("leaf", {
    cellRef: "bootstrap",
    cell: { enabled: false },
  });
  await withSeedSandbox([leaf], async (sandbox) => {
    const rows = await sandbox.rows();
    assert.equal(rows.find((r) => r.name === "leaf")?.phase, "Ready");
    const own = await ownCluster(sandbox, "leaf");
    assert.equal(own.spec.cell?.enabled, false, "the leaf keeps its spec as written");
    assert.equal(conditionOf(own, "SpecValid")?.status, "True");
    assert.notEqual(own.status?.phase, "Failed");
    assert.equal(sandbox.operatorOf("leaf")?.cellUrl, undefined, "a leaf serves no cell");
  });
});
