import assert from "node:assert/strict";
import {
  describeChanges,
  diffFields,
  immutableChanges,
  immutableFields,
  specHash,
} from "../../lib/childsync/spec.ts";

const spec = () => ({
  provider: {
    kubernetes: { version: "1.31.0", bootstrap: "kubeadm" },
    config: { aws: { region: "us-west-2", cpInstanceType: "t3.large" } },
  },
  nodes: { controlPlane: 1, workers: 2 },
  cellRef: "mgmt",
});

Deno.test("specHash: key order does not matter, values do", () => {
  const a = spec();
  const b = JSON.parse(
    JSON.stringify({ nodes: a.nodes, cellRef: a.cellRef, provider: a.provider }),
  );
  assert.equal(specHash(a), specHash(b));
  assert.match(specHash(a), /^[0-9a-f]{64}$/);
  assert.notEqual(specHash(a), specHash({ ...a, nodes: { controlPlane: 1, workers: 3 } }));
});

Deno.test("diffFields names the deepest differing fields", () => {
  const a = spec();
  const b = spec();
  b.nodes.workers = 5;
  b.provider.kubernetes.version = "1.32.0";
  assert.deepEqual(diffFields(a, b), ["spec.nodes.workers", "spec.provider.kubernetes.version"]);
  assert.deepEqual(diffFields(a, spec()), []);
  assert.deepEqual(diffFields({ x: [1, 2] }, { x: [1] }), ["spec.x"]);
  assert.deepEqual(diffFields({ x: 1 }, {}), ["spec.x"]);
});

Deno.test("immutable fields: provider, region, bootstrap, networks, parent", () => {
  const created = immutableFields(spec());
  assert.equal(created["spec.provider.config"], "aws");
  assert.equal(created["spec.provider.config.aws.region"], "us-west-2");
  assert.deepEqual(immutableChanges(created, spec()), []);

  const scaled = spec();
  scaled.nodes.workers = 9;
  scaled.provider.config.aws.cpInstanceType = "m5.large";
  assert.deepEqual(immutableChanges(created, scaled), [], "scaling and sizes may change");

  const moved = spec();
  moved.provider.config.aws.region = "eu-west-1";
  moved.provider.kubernetes.bootstrap = "rke2";
  const changes = immutableChanges(created, moved);
  assert.deepEqual(changes.map((c) => c.field), [
    "spec.provider.config.aws.region",
    "spec.provider.kubernetes.bootstrap",
  ]);
  assert.match(describeChanges(changes), /"us-west-2" → "eu-west-1"/);

  const other = { ...spec(), provider: { ...spec().provider, config: { gcp: { region: "x" } } } };
  const fields = immutableChanges(created, other).map((c) => c.field);
  assert.ok(fields.includes("spec.provider.config"));
  assert.ok(
    immutableChanges(created, { ...spec(), networking: { pods: "10.0.0.0/16" } })
      .some((c) => c.field === "spec.networking.pods"),
  );
  assert.ok(immutableChanges(created, { ...spec(), cellRef: "other" }).length === 1);
  assert.equal(immutableFields(undefined)["spec.provider.config"], "");
});
