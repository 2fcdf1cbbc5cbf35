import assert from "node:assert/strict";
import { lattice, latticeOk as ok, readRepoFile, withRepo } from "../gitops/fixtures.ts";

Deno.test("lattice placement remove: the file and its kustomization entry go, nothing else", async () => {
  await withRepo(async (dir) => {
    const placements = "children/us/children/us-prod-1/placements";
    const before = await readRepoFile(dir, `${placements}/kustomization.yaml`);
    assert.match(before, /payments\.yaml/);
    await ok(dir, "placement", "remove", "payments", "--cluster", "us-prod-1");
    const after = await readRepoFile(dir, `${placements}/kustomization.yaml`);
    assert.doesNotMatch(after, /payments\.yaml/);
    assert.match(after, /orders\.yaml/);
    await assert.rejects(() => readRepoFile(dir, `${placements}/payments.yaml`));
    await readRepoFile(dir, `${placements}/orders.yaml`);
    const again = await lattice(dir, "placement", "remove", "payments", "--cluster", "us-prod-1");
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /payments is not placed on us-prod-1/);
  });
});
