import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  CRD_DEFINITIONS,
  crdFromDefinition,
  latticeCrds,
  openApiSchema,
} from "../../lib/api/mod.ts";
import { structuralProblems } from "../../lib/api/structural.ts";
import { staleFiles } from "../../scripts/generate.ts";
import { z } from "zod";

const root = new URL("../../", import.meta.url);

Deno.test("crds/ is up to date with the zod schemas (run deno task generate)", async () => {
  assert.deepEqual(await staleFiles(root), []);
});

Deno.test("LatticeCluster CRD: cluster-scoped, lc, status subresource, printer columns", () => {
  const [crd] = latticeCrds();
  const spec = crd.spec as Record<string, never>;
  assert.equal(crd.metadata.name, "latticeclusters.lattice.dev");
  assert.equal(spec.scope, "Cluster");
  assert.deepEqual((spec.names as { shortNames: string[] }).shortNames, ["lc"]);
  const [version] = spec.versions as Record<string, unknown>[];
  assert.deepEqual(version.subresources, { status: {} });
  const columns = (version.additionalPrinterColumns as { name: string }[]).map((c) => c.name);
  assert.deepEqual(columns, [
    "Phase",
    "Provider",
    "Version",
    "Nodes",
    "Running",
    "Agent",
    "Heartbeat",
    "Synced",
    "Stale",
    "Child",
    "Flux",
    "Age",
  ]);
});

Deno.test("the written CRD parses back to the generated object", async () => {
  for (const def of CRD_DEFINITIONS) {
    const text = await Deno.readTextFile(new URL(`crds/${def.group}_${def.plural}.yaml`, root));
    assert.deepEqual(parse(text), crdFromDefinition(def));
  }
});

Deno.test("every field carries a description for kubectl explain", () => {
  const missing: string[] = [];
  const walk = (node: Record<string, unknown>, path: string) => {
    const props = node.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [k, v] of Object.entries(props ?? {})) {
      const p = `${path}.${k}`;
      if (!["apiVersion", "kind", "metadata"].includes(k) && !v.description) missing.push(p);
      walk(v, p);
      if (v.items) walk(v.items as Record<string, unknown>, `${p}[]`);
    }
  };
  const [crd] = latticeCrds();
  const [version] = (crd.spec as { versions: { schema: { openAPIV3Schema: never } }[] }).versions;
  walk(version.schema.openAPIV3Schema, "");
  assert.deepEqual(missing, []);
});

Deno.test("structural rewrite removes what the apiserver forbids", () => {
  const schema = openApiSchema(z.strictObject({
    n: z.int().describe("n"),
    k: z.literal("x").describe("k"),
    t: z.iso.datetime().describe("t"),
  }));
  const props = schema.properties as Record<string, Record<string, unknown>>;
  assert.equal(schema.additionalProperties, undefined);
  assert.equal(props.n.maximum, undefined);
  assert.deepEqual(props.k.enum, ["x"]);
  assert.equal(props.k.type, "string");
  assert.equal(props.t.pattern, undefined);
  assert.equal(props.t.format, "date-time");
  assert.deepEqual(structuralProblems(schema), []);
});

Deno.test("a non-structural schema is refused with the offending field", () => {
  assert.throws(
    () =>
      crdFromDefinition({
        group: "x.dev",
        version: "v1",
        kind: "Bad",
        plural: "bads",
        singular: "bad",
        scope: "Namespaced",
        description: "bad",
        spec: z.object({ u: z.union([z.string(), z.number()]) }),
      }),
    /spec\.u: has no type/,
  );
});
