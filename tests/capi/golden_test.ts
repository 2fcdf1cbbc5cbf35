/**
 * Golden manifests for every provider × bootstrap. `UPDATE_GOLDEN=1 deno test -A
 * tests/capi/golden_test.ts` rewrites them; review the diff like code.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { ciliumLbIpamObjects, generateCapiObjects, type KubeObject } from "../../lib/capi/mod.ts";
import { MATRIX, providerCluster, testBootstrap } from "./fixtures.ts";

const GOLDEN = new URL("./golden/", import.meta.url);
const update = Deno.env.get("UPDATE_GOLDEN") === "1";

function render(objects: KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

async function compareGolden(file: string, actual: string): Promise<void> {
  const url = new URL(file, GOLDEN);
  if (update) {
    await Deno.writeTextFile(url, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(url);
  } catch (e) {
    throw new Error(`Cannot read golden ${file}: run with UPDATE_GOLDEN=1`, { cause: e });
  }
  assert.equal(actual, expected, `${file} differs; rerun with UPDATE_GOLDEN=1 and review`);
}

for (const { provider, bootstrap } of MATRIX) {
  Deno.test(`golden: ${provider} × ${bootstrap}`, async () => {
    const cluster = providerCluster(provider, { bootstrap });
    const { objects } = generateCapiObjects(cluster, testBootstrap());
    await compareGolden(`${provider}-${bootstrap}.yaml`, render(objects));
  });
}

Deno.test("golden: cilium LB-IPAM", async () => {
  const cluster = providerCluster("docker");
  await compareGolden("cilium.yaml", render(ciliumLbIpamObjects(cluster)));
});
