/**
 * The spec's workflows (gitops.md: platform team adds a region, app team deploys, Flux
 * upgrade, emergency suspend) replayed through the CLI on a temp repo, with the spec's
 * outputs as golden text.
 */
import assert from "node:assert/strict";
import { lattice, readRepoFile, tempRepo } from "../gitops/fixtures.ts";

async function withRepo(fn: (dir: string) => Promise<void>) {
  const dir = await tempRepo();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function ok(dir: string, ...args: string[]) {
  const r = await lattice(dir, ...args);
  assert.equal(r.code, 0, `lattice ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

const lines = (...l: string[]) => l.join("\n");

Deno.test("platform team: add a new region (cell, cluster, placements, validate)", async () => {
  await withRepo(async (dir) => {
    assert.equal(
      await ok(
        dir,
        "cluster",
        "create",
        "eu",
        "--parent",
        "root",
        "--cell",
        "--provider",
        "aws",
        "--region",
        "eu-west-1",
      ),
      lines(
        "Created children/eu/cluster.yaml",
        "Created children/eu/kustomization.yaml",
        "Created children/eu/registrations/kustomization.yaml",
        "Created children/eu/children/kustomization.yaml",
        "Updated children/kustomization.yaml",
      ),
    );
    assert.equal(
      await ok(
        dir,
        "cluster",
        "create",
        "eu-prod-1",
        "--parent",
        "eu",
        "--provider",
        "aws",
        "--region",
        "eu-west-1",
        "--workers",
        "5",
      ),
      lines(
        "Created children/eu/children/eu-prod-1/cluster.yaml",
        "Created children/eu/children/eu-prod-1/kustomization.yaml",
        "Created children/eu/children/eu-prod-1/placements/kustomization.yaml",
        "Updated children/eu/children/kustomization.yaml",
      ),
    );
    assert.equal(
      await ok(dir, "placement", "create", "payments", "--cluster", "eu-prod-1", "--replicas", "5"),
      lines(
        "Created children/eu/children/eu-prod-1/placements/payments.yaml",
        "Updated children/eu/children/eu-prod-1/placements/kustomization.yaml",
      ),
    );
    await ok(dir, "placement", "create", "monitoring", "--cluster", "eu-prod-1");
    assert.equal(
      await readRepoFile(dir, "children/kustomization.yaml"),
      lines(
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources:",
        "  - us/cluster.yaml",
        "  - eu/cluster.yaml",
        "",
      ),
    );
    assert.equal(
      await readRepoFile(dir, "children/eu/kustomization.yaml"),
      lines(
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources:",
        "  - registrations",
        "  - children",
        "",
      ),
    );
    assert.equal(
      await readRepoFile(dir, "children/eu/children/eu-prod-1/cluster.yaml"),
      lines(
        "apiVersion: lattice.dev/v1alpha1",
        "kind: LatticeCluster",
        "metadata:",
        "  name: eu-prod-1",
        "spec:",
        "  provider:",
        "    kubernetes:",
        '      version: "1.31.0"',
        "      bootstrap: rke2",
        "    config:",
        "      aws:",
        "        region: eu-west-1",
        "  nodes:",
        "    controlPlane: 3",
        "    workers: 5",
        "  cellRef: eu",
        "",
      ),
    );
    const validate = await lattice(dir, "validate");
    assert.equal(validate.code, 0, validate.stdout);
    assert.match(validate.stdout, /^✓ cluster\.yaml valid$/m);
    assert.match(validate.stdout, /^✓ children\/eu\/children\/eu-prod-1\/cluster\.yaml valid$/m);
    assert.ok(validate.stdout.endsWith(lines(
      "✓ All placements reference valid registrations",
      "✓ No circular parent references",
      "✓ All kustomization.yaml files are consistent",
    )));
    assert.equal(
      await ok(dir, "cluster", "tree"),
      lines(
        "root",
        "├── us",
        "│   ├── us-prod-1",
        "│   ├── us-prod-2",
        "│   └── us-staging",
        "└── eu",
        "    └── eu-prod-1",
      ),
    );
    assert.equal(
      await ok(dir, "cluster", "list"),
      lines(
        "NAME         PARENT   PROVIDER   K8S      WORKERS",
        "root         -        aws        1.31.0   2",
        "us           root     aws        1.31.0   2",
        "us-prod-1    us       aws        1.31.0   10",
        "us-prod-2    us       aws        1.31.0   8",
        "us-staging   us       aws        1.31.0   3",
        "eu           root     aws        1.31.0   2",
        "eu-prod-1    eu       aws        1.31.0   5",
      ),
    );
  });
});

Deno.test("app team: create us-prod-3 as in the spec, deploy orders, scale, delete", async () => {
  await withRepo(async (dir) => {
    assert.equal(
      await ok(
        dir,
        "cluster",
        "create",
        "us-prod-3",
        "--parent",
        "us",
        "--provider",
        "aws",
        "--region",
        "us-west-2",
        "--control-plane-nodes",
        "3",
        "--worker-nodes",
        "10",
        "--instance-type",
        "t3.xlarge",
        "--k8s-version",
        "1.31.0",
      ),
      lines(
        "Created children/us/children/us-prod-3/cluster.yaml",
        "Created children/us/children/us-prod-3/kustomization.yaml",
        "Created children/us/children/us-prod-3/placements/kustomization.yaml",
        "Updated children/us/children/kustomization.yaml",
      ),
    );
    assert.equal(
      await ok(
        dir,
        "placement",
        "create",
        "orders",
        "--cluster",
        "us-prod-3",
        "--tag",
        "v1.5.0",
        "--replicas",
        "3",
      ),
      lines(
        "Created children/us/children/us-prod-3/placements/orders.yaml",
        "Updated children/us/children/us-prod-3/placements/kustomization.yaml",
      ),
    );
    assert.equal(
      await ok(dir, "placement", "list", "--cluster", "us-prod-3"),
      lines(
        "SERVICE      REF        TAG/BRANCH   REPLICAS",
        "orders       orders     v1.5.0       3",
      ),
    );
    assert.equal(
      await ok(dir, "cluster", "scale", "us-prod-1", "--workers", "20"),
      "Updated children/us/children/us-prod-1/cluster.yaml",
    );
    assert.equal(
      await ok(dir, "cluster", "upgrade", "us-prod-1", "--k8s-version", "1.32.0"),
      "Updated children/us/children/us-prod-1/cluster.yaml",
    );
    assert.equal(
      await ok(dir, "cluster", "get", "us-prod-1"),
      lines(
        "Name:         us-prod-1",
        "Parent:       us",
        "Provider:     aws (us-west-2)",
        "K8s Version:  1.32.0",
        "Nodes:",
        "  Control Plane: 3",
        "  Workers:       20",
        "Path:         children/us/children/us-prod-1/cluster.yaml",
      ),
    );
    assert.equal(
      await ok(dir, "cluster", "delete", "us-prod-3"),
      lines(
        "Removed children/us/children/us-prod-3/",
        "Updated children/us/children/kustomization.yaml",
      ),
    );
    assert.equal((await lattice(dir, "validate")).code, 0);
  });
});

Deno.test("service and placement commands print the spec's tables and lines", async () => {
  await withRepo(async (dir) => {
    assert.equal(
      await ok(dir, "service", "list"),
      lines(
        "NAME         SOURCE                              PATH",
        "payments     github.com/acme/payments            ./deploy",
        "orders       github.com/acme/orders              ./deploy",
        "monitoring   github.com/platform/monitoring      ./charts",
        "logging      github.com/platform/logging         ./charts",
      ),
    );
    assert.equal(
      await ok(dir, "placement", "list", "--cluster", "us-prod-1"),
      lines(
        "SERVICE      REF        TAG/BRANCH   REPLICAS",
        "payments     payments   v2.1.0       10",
        "orders       orders     main         5",
        "monitoring   monitoring v1.0.0       1",
      ),
    );
    await ok(dir, "placement", "delete", "payments", "--cluster", "us-staging");
    await ok(
      dir,
      "service",
      "register",
      "payments-v2",
      "--git-url",
      "https://github.com/acme/payments",
      "--git-path",
      "./deploy",
      "--branch",
      "main",
      "--default-replicas",
      "1",
    );
    assert.equal(
      await ok(
        dir,
        "placement",
        "create",
        "payments-v2",
        "--cluster",
        "us-prod-1",
        "--tag",
        "v2.1.0",
        "--replicas",
        "10",
        "--env",
        "DATABASE_URL=postgres://prod:5432/payments",
      ),
      lines(
        "Created children/us/children/us-prod-1/placements/payments-v2.yaml",
        "Updated children/us/children/us-prod-1/placements/kustomization.yaml",
      ),
    );
    assert.equal(
      await ok(
        dir,
        "placement",
        "scale",
        "payments-v2",
        "--cluster",
        "us-prod-1",
        "--replicas",
        "20",
      ),
      "Updated children/us/children/us-prod-1/placements/payments-v2.yaml",
    );
    const json = JSON.parse(
      await ok(dir, "placement", "list", "--cluster", "us-prod-1", "-o", "json"),
    );
    assert.deepEqual(json.at(-1), {
      service: "payments-v2",
      ref: "payments-v2",
      tagOrBranch: "v2.1.0",
      replicas: 20,
      env: { DATABASE_URL: "postgres://prod:5432/payments" },
      path: "children/us/children/us-prod-1/placements/payments-v2.yaml",
    });
    assert.equal(
      await ok(dir, "placement", "delete", "payments-v2", "--cluster", "us-prod-1"),
      lines(
        "Removed children/us/children/us-prod-1/placements/payments-v2.yaml",
        "Updated children/us/children/us-prod-1/placements/kustomization.yaml",
      ),
    );
    assert.equal((await lattice(dir, "validate")).code, 0);
  });
});

Deno.test("service register writes the registration and its kustomization entry", async () => {
  await withRepo(async (dir) => {
    assert.equal(
      await ok(
        dir,
        "service",
        "register",
        "billing",
        "--git-url",
        "https://github.com/acme/billing",
        "--git-path",
        "./deploy",
        "--branch",
        "main",
        "--default-replicas",
        "1",
      ),
      lines("Created registrations/billing.yaml", "Updated registrations/kustomization.yaml"),
    );
    assert.equal(
      await readRepoFile(dir, "registrations/billing.yaml"),
      lines(
        "apiVersion: lattice.dev/v1alpha1",
        "kind: LatticeServiceRegistration",
        "metadata:",
        "  name: billing",
        "spec:",
        "  source:",
        "    git:",
        "      url: https://github.com/acme/billing",
        "      path: ./deploy",
        "      branch: main",
        "  defaults:",
        "    replicas: 1",
        "",
      ),
    );
  });
});

Deno.test("flux: set-version globally and per cluster, suspend and resume", async () => {
  await withRepo(async (dir) => {
    assert.equal(await ok(dir, "flux", "set-version", "2.3.0"), "Updated .lattice/config.yaml");
    assert.match(await readRepoFile(dir, ".lattice/config.yaml"), /version: "2\.3\.0" {22}# Flux/);
    assert.equal(
      await ok(dir, "flux", "set-version", "2.2.0", "--cluster", "us-prod-1"),
      "Updated children/us/children/us-prod-1/cluster.yaml",
    );
    assert.equal(
      await ok(dir, "flux", "suspend", "us-prod-1"),
      "Updated children/us/children/us-prod-1/cluster.yaml (flux.suspend: true)",
    );
    assert.match(
      await readRepoFile(dir, "children/us/children/us-prod-1/cluster.yaml"),
      /  flux:\n    version: "2\.2\.0"\n    suspend: true\n/,
    );
    assert.equal(
      await ok(dir, "flux", "resume", "us-prod-1"),
      "Updated children/us/children/us-prod-1/cluster.yaml (flux.suspend: false)",
    );
    assert.equal((await lattice(dir, "validate")).code, 0);
  });
});

Deno.test("validate PATH of a cluster prints the spec's four checks", async () => {
  await withRepo(async (dir) => {
    const r = await lattice(dir, "validate", "children/us/children/us-prod-1/cluster.yaml");
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      lines(
        "✓ Schema valid",
        "✓ Parent 'us' exists",
        "✓ Provider config valid",
        "✓ K8s version supported",
      ),
    );
  });
});

Deno.test("--repo and --output json|yaml on read commands", async () => {
  await withRepo(async (dir) => {
    const r = await lattice("/", "cluster", "list", "--repo", dir, "--output", "json");
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout);
    assert.equal(rows.length, 5);
    assert.deepEqual(rows[2], {
      name: "us-prod-1",
      parent: "us",
      provider: "aws",
      region: "us-west-2",
      kubernetesVersion: "1.31.0",
      controlPlane: 3,
      workers: 10,
      cell: false,
      path: "children/us/children/us-prod-1/cluster.yaml",
    });
    const tree = await lattice(dir, "cluster", "tree", "-o", "yaml");
    assert.match(tree.stdout, /^name: root\npath: cluster.yaml\nchildren:\n  - name: us\n/);
    const bad = await lattice(dir, "cluster", "list", "-o", "xml");
    assert.equal(bad.code, 2);
    const outside = await lattice("/", "cluster", "list");
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /is not inside a git checkout \(pass --repo DIR\)/);
  });
});
