/**
 * The service, placement, flux, validate and read commands with the spec's outputs as
 * golden text, on temp repos built by the fixtures.
 */
import assert from "node:assert/strict";
import { lattice, latticeOk as ok, lines, readRepoFile, withRepo } from "../gitops/fixtures.ts";

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
      / {2}flux:\n {4}version: "2\.2\.0"\n {4}suspend: true\n/,
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
    assert.match(tree.stdout, /^name: root\npath: cluster.yaml\nchildren:\n {2}- name: us\n/);
    const bad = await lattice(dir, "cluster", "list", "-o", "xml");
    assert.equal(bad.code, 2);
    const outside = await lattice("/", "cluster", "list");
    assert.equal(outside.code, 1);
    assert.match(
      outside.stderr,
      /is not inside a git checkout \(pass --repo DIR, or run .lattice init/,
    );
  });
});

Deno.test("validate works as a git pre-commit hook (a real lattice process, exit 0/1)", async () => {
  await withRepo(async (dir) => {
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const hook = (cwd: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", main, "validate"],
        cwd,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const good = await hook(`${dir}/children/us`);
    assert.equal(good.code, 0, new TextDecoder().decode(good.stderr));
    const path = `${dir}/children/us/children/us-prod-2/cluster.yaml`;
    await Deno.writeTextFile(
      path,
      (await Deno.readTextFile(path)).replace("controlPlane: 3", "controlPlane: 0"),
    );
    const bad = await hook(dir);
    assert.equal(bad.code, 1);
    assert.match(
      new TextDecoder().decode(bad.stdout),
      /^✗ children\/us\/children\/us-prod-2\/cluster\.yaml:14: spec\.nodes\.controlPlane: must be >= 1$/m,
    );
  });
});
