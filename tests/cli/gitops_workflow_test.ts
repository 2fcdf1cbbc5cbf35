/**
 * The spec's workflows (gitops.md: platform team adds a region, app team deploys to a new
 * cluster) replayed through the CLI on a temp repo, with the spec's outputs as golden text.
 */
import assert from "node:assert/strict";
import { lattice, latticeOk as ok, lines, readRepoFile, withRepo } from "../gitops/fixtures.ts";

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
