import assert from "node:assert/strict";
import { LatticeClusterSchema, parseClusters, validate } from "../../lib/api/mod.ts";
import { validateCluster } from "../../lib/controllers/cluster/validation.ts";
import { parseRootConfig } from "../../lib/install/config.ts";
import { exampleFiles } from "../../lib/sandbox/examples.ts";

const ROOT = `apiVersion: lattice.dev/v1alpha1
kind: LatticeCluster
metadata:
  name: root
spec:
  provider:
    kubernetes:
      version: 1.33.1
    config:
      docker: {}
  nodes:
    controlPlane: 1
    workers: 1
  cell:
    host: root.example.com
`;

Deno.test("parseRootConfig accepts one cell without a parent", () => {
  const root = parseRootConfig(ROOT, "root.yaml");
  assert.equal(root.metadata.name, "root");
});

Deno.test("parseRootConfig names the file and the field of what is wrong", async (t) => {
  await t.step("a parent", () => {
    assert.throws(
      () => parseRootConfig(ROOT + "  cellRef: other\n", "root.yaml"),
      /Cannot install from root\.yaml: spec\.cellRef: the root cluster has no parent/,
    );
  });
  await t.step("not a cell", () => {
    assert.throws(
      () => parseRootConfig(ROOT.replace(/ {2}cell:\n {4}host: .*\n/, ""), "root.yaml"),
      /root\.yaml: spec\.cell: the root cluster provisions the others/,
    );
    assert.throws(
      () => parseRootConfig(ROOT.replace("  cell:\n", "  cell:\n    enabled: false\n"), "r.yaml"),
      /spec\.cell/,
    );
  });
  await t.step("not exactly one document", () => {
    assert.throws(
      () => parseRootConfig(`${ROOT}---\n${ROOT}`, "two.yaml"),
      /two\.yaml: expected exactly one LatticeCluster \(the root\), found 2/,
    );
    assert.throws(() => parseRootConfig("", "empty.yaml"), /found 0/);
  });
  await t.step("a schema error", () => {
    assert.throws(
      () => parseRootConfig(ROOT.replace("controlPlane: 1", "controlPlane: 0"), "bad.yaml"),
      /Cannot read bad\.yaml \(document 1\):\n {2}spec\.nodes\.controlPlane/,
    );
  });
});

Deno.test("the kind examples are a valid root and child", () => {
  const files = exampleFiles();
  const root = parseRootConfig(files["kind-root.yaml"], "examples/kind-root.yaml");
  const parsed = validate(LatticeClusterSchema, root);
  assert.ok(parsed.ok);
  assert.deepEqual(validateCluster(parsed.value), []);
  const [workload] = parseClusters(files["kind-workload.yaml"], "examples/kind-workload.yaml");
  assert.equal(workload.spec.cellRef, root.metadata.name);
});
