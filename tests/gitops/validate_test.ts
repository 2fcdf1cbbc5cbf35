/**
 * `lattice validate` catches each class of error with a message naming file, line and
 * field, and exits 1; --output json carries the same issues for CI.
 */
import assert from "node:assert/strict";
import {
  baseRepoFiles,
  clusterYaml,
  CONFIG_YAML,
  kustomization,
  lattice,
  placementYaml,
  tempRepo,
  usChildren,
} from "./fixtures.ts";

const P1 = "children/us/children/us-prod-1";

/** Validates the spec repo with some files replaced; returns exit code and ✗ lines. */
async function validateWith(files: Record<string, string>, ...args: string[]) {
  const dir = await tempRepo({ ...baseRepoFiles(), ...usChildren(), ...files });
  try {
    const r = await lattice(dir, "validate", ...args);
    return { ...r, errors: r.stdout.split("\n").filter((l) => l.startsWith("✗")) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const cases: { name: string; files: Record<string, string>; errors: (string | RegExp)[] }[] = [
  {
    name: "a schema error names file, line and field",
    files: { [`${P1}/cluster.yaml`]: clusterYaml("us-prod-1", { parent: "us", workers: -1 }) },
    errors: [`✗ ${P1}/cluster.yaml:15: spec.nodes.workers: must be >= 0`],
  },
  {
    name: "invalid YAML",
    files: { [`${P1}/cluster.yaml`]: "apiVersion: [unclosed\n" },
    errors: [new RegExp(`^✗ ${P1}/cluster\\.yaml:\\d+: invalid YAML: `)],
  },
  {
    name: "a parent that does not exist",
    files: { [`${P1}/cluster.yaml`]: clusterYaml("us-prod-1", { parent: "nowhere" }) },
    errors: [
      `✗ ${P1}/cluster.yaml:16: spec.cellRef: names "nowhere", which is not a known cluster: ` +
      `set it to the parent cell's name ("us")`,
    ],
  },
  {
    name: "circular parent references",
    files: {
      "children/us/cluster.yaml": clusterYaml("us", { parent: "us-prod-1", cell: true }),
    },
    errors: [
      "✗ children/us/cluster.yaml:16: spec.cellRef: is 'us-prod-1' but the cluster's folder is " +
      "under 'root'; move the folder or fix cellRef",
      /^✗ children\/us\/(children\/us-prod-1\/)?cluster\.yaml:16: spec\.cellRef: forms a loop \((us → us-prod-1 → us|us-prod-1 → us → us-prod-1)\): following cellRefs must end at the root cluster, which has none$/,
    ],
  },
  {
    name: "a cluster name used twice",
    files: {
      [`${P1}/children/us/cluster.yaml`]: clusterYaml("us", { parent: "us-prod-1" }),
      [`${P1}/children/us/kustomization.yaml`]: kustomization([]),
      [`${P1}/children/kustomization.yaml`]: kustomization(["us/cluster.yaml"]),
      [`${P1}/kustomization.yaml`]: kustomization(["children", "placements"]),
      [`${P1}/cluster.yaml`]: clusterYaml("us-prod-1", { parent: "us", cell: true }),
    },
    errors: [
      `✗ ${P1}/children/us/cluster.yaml:4: metadata.name: cluster 'us' is already defined in ` +
      "children/us/cluster.yaml; cluster names must be unique across the repository",
    ],
  },
  {
    name: "a folder name that differs from metadata.name",
    files: { [`${P1}/cluster.yaml`]: clusterYaml("us-prod-9", { parent: "us" }) },
    errors: [
      `✗ ${P1}/cluster.yaml:4: metadata.name: is 'us-prod-9' but the cluster's folder is ` +
      "'us-prod-1'; they must match",
    ],
  },
  {
    name: "a placement of an unregistered service",
    files: {
      [`${P1}/placements/ghost.yaml`]: placementYaml("ghost"),
      [`${P1}/placements/kustomization.yaml`]: kustomization([
        "payments.yaml",
        "orders.yaml",
        "monitoring.yaml",
        "ghost.yaml",
      ]),
    },
    errors: [
      `✗ ${P1}/placements/ghost.yaml:6: spec.serviceRef: service 'ghost' is not registered ` +
      "for cluster us-prod-1 (looked in registrations of us-prod-1, us, root)",
    ],
  },
  {
    name: "a kustomization missing an entry and listing a missing one",
    files: {
      [`${P1}/placements/kustomization.yaml`]: "# placements of us-prod-1\n" +
        kustomization(["payments.yaml", "orders.yaml", "gone.yaml"]),
    },
    errors: [
      `✗ ${P1}/placements/kustomization.yaml:4: resources: does not list 'monitoring.yaml', ` +
      "which exists",
      `✗ ${P1}/placements/kustomization.yaml:7: resources[2]: lists 'gone.yaml', which does not exist`,
    ],
  },
  {
    name: "a cluster folder without cluster.yaml",
    files: { "children/us/children/stray/notes.txt": "hi\n" },
    errors: [
      "✗ children/us/children/stray/: has no cluster.yaml; every folder under children/ is a cluster",
    ],
  },
  {
    name: "an invalid Flux version",
    files: { ".lattice/config.yaml": CONFIG_YAML.replace('"2.2.0"', '"1.9.0"') },
    errors: [
      "✗ .lattice/config.yaml:13: spec.flux.version: must be a Flux 2.x release like 2.3.0",
    ],
  },
  {
    name: "an unsupported Kubernetes version",
    files: {
      [`${P1}/cluster.yaml`]: clusterYaml("us-prod-1", { parent: "us" }).replace(
        "1.31.0",
        "1.20.0",
      ),
    },
    errors: [
      `✗ ${P1}/cluster.yaml:8: spec.provider.kubernetes.version: must be a supported ` +
      "Kubernetes version, 1.29.x to 1.36.x (e.g. 1.35.0)",
    ],
  },
  {
    name: "the operator's rules: even control plane, enabled cell without host",
    files: {
      [`${P1}/cluster.yaml`]: clusterYaml("us-prod-1", { parent: "us" })
        .replace("controlPlane: 3", "controlPlane: 2") + "  cell:\n    enabled: true\n",
    },
    errors: [
      new RegExp(`^✗ ${P1}/cluster\\.yaml:\\d+: spec\\.nodes\\.controlPlane: must be odd`),
      new RegExp(
        `^✗ ${P1}/cluster\\.yaml:\\d+: spec\\.cell\\.host: is required for an enabled cell`,
      ),
    ],
  },
  {
    name: "children under a cluster that is not a cell",
    files: { "children/us/cluster.yaml": clusterYaml("us", { parent: "root" }) },
    errors: [
      /^✗ children\/us\/cluster\.yaml:5: spec: spec\.cell is required: this cluster has children/,
    ],
  },
  {
    name: "children under a cluster written as cell: {enabled: false}",
    files: {
      "children/us/cluster.yaml": clusterYaml("us", { parent: "root" }) +
        "  cell:\n    enabled: false\n",
    },
    errors: [
      /^✗ children\/us\/cluster\.yaml:5: spec: spec\.cell is required: this cluster has children/,
    ],
  },
];

for (const c of cases) {
  Deno.test(`validate catches ${c.name}`, async () => {
    const r = await validateWith(c.files);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.errors.length, c.errors.length, r.errors.join("\n"));
    c.errors.forEach((expected, i) => {
      if (typeof expected === "string") assert.equal(r.errors[i], expected);
      else assert.match(r.errors[i], expected);
    });
    assert.match(r.stdout, new RegExp(`^${c.errors.length} errors? found$`, "m"));
  });
}

Deno.test("validate --output json lists issues with file, line and field", async () => {
  const r = await validateWith(
    { [`${P1}/cluster.yaml`]: clusterYaml("us-prod-1", { parent: "us", workers: -1 }) },
    "--output",
    "json",
  );
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.equal(report.valid, false);
  assert.deepEqual(report.errors, [{
    file: `${P1}/cluster.yaml`,
    line: 15,
    field: "spec.nodes.workers",
    message: "must be >= 0",
    kind: "schema",
  }]);
  assert.ok(
    report.checks.some((c: { name: string }) => c.name === "No circular parent references"),
  );
});

Deno.test("validate PATH of a cluster reports the failing check", async () => {
  const r = await validateWith(
    { [`${P1}/cluster.yaml`]: clusterYaml("us-prod-1", { parent: "us", region: "" }) },
    `${P1}/cluster.yaml`,
  );
  assert.equal(r.code, 1);
  assert.equal(
    r.stdout.split("\n").slice(0, 4).join("\n"),
    [
      "✓ Schema valid",
      "✓ Parent 'us' exists",
      `✗ ${P1}/cluster.yaml:12: spec.provider.config.aws.region: Invalid input: expected string, received null`,
      "✓ K8s version supported",
    ].join("\n"),
  );
});

Deno.test("validate PATH of a folder only reports that folder", async () => {
  const r = await validateWith(
    { [`${P1}/cluster.yaml`]: clusterYaml("us-prod-1", { parent: "us", workers: -1 }) },
    "children/us/children/us-prod-2",
  );
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /^✓ children\/us\/children\/us-prod-2\/cluster\.yaml valid$/m);
  assert.doesNotMatch(r.stdout, /us-prod-1/);
});
