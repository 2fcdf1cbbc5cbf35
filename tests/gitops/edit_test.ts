/**
 * Edits keep the user's file as written (comments, key order, quoting) and refuse
 * mistakes with a helpful message, leaving the repository untouched.
 */
import assert from "node:assert/strict";
import { kustomization, lattice, readRepoFile, withRepo } from "./fixtures.ts";

const P1 = "children/us/children/us-prod-1";

const COMMENTED = `# us-prod-1: the main US production cluster
apiVersion: lattice.dev/v1alpha1
kind: LatticeCluster
metadata:
  name: us-prod-1
  labels: { env: prod }          # flow map kept as is
spec:
  nodes:                         # nodes first: key order is the user's
    workers: 10                  # bumped for Black Friday
    controlPlane: 3
  provider:
    kubernetes:
      version: '1.31.0'          # single quotes stay single
      bootstrap: rke2
    config:
      aws:
        region: us-west-2
  cellRef: us
`;

Deno.test("scale and upgrade change only the edited values, byte for byte", async () => {
  await withRepo(async (dir) => {
    await Deno.writeTextFile(`${dir}/${P1}/cluster.yaml`, COMMENTED);
    assert.equal((await lattice(dir, "cluster", "scale", "us-prod-1", "--workers", "20")).code, 0);
    assert.equal(
      (await lattice(dir, "cluster", "upgrade", "us-prod-1", "--k8s-version", "1.32.0")).code,
      0,
    );
    assert.equal(
      await readRepoFile(dir, `${P1}/cluster.yaml`),
      COMMENTED.replace("workers: 10", "workers: 20").replace("'1.31.0'", "'1.32.0'"),
    );
  });
});

Deno.test("adding a new field keeps comments and key order", async () => {
  await withRepo(async (dir) => {
    await Deno.writeTextFile(`${dir}/${P1}/cluster.yaml`, COMMENTED);
    assert.equal((await lattice(dir, "flux", "suspend", "us-prod-1")).code, 0);
    const text = await readRepoFile(dir, `${P1}/cluster.yaml`);
    for (
      const comment of [
        "# us-prod-1: the main US production cluster",
        "# flow map kept as is",
        "# nodes first: key order is the user's",
        "# bumped for Black Friday",
        "# single quotes stay single",
      ]
    ) assert.ok(text.includes(comment), `lost ${comment}`);
    assert.ok(text.indexOf("nodes:") < text.indexOf("provider:"));
    assert.match(text, /version: '1\.31\.0'/);
    assert.match(text, /labels: \{ env: prod \}/);
    assert.ok(text.endsWith("  cellRef: us\n  flux:\n    suspend: true\n"), text);
  });
});

Deno.test("kustomization edits keep comments and extra keys", async () => {
  await withRepo(async (dir) => {
    const path = "children/us/children/kustomization.yaml";
    await Deno.writeTextFile(
      `${dir}/${path}`,
      "# Clusters the US cell provisions\n" +
        kustomization([
          "us-prod-1/cluster.yaml",
          "us-prod-2/cluster.yaml",
          "us-staging/cluster.yaml",
        ]) +
        "commonLabels:\n  region: us\n",
    );
    assert.equal(
      (await lattice(dir, "cluster", "create", "us-prod-3", "--parent", "us", "--workers", "5"))
        .code,
      0,
    );
    assert.equal(
      await readRepoFile(dir, path),
      "# Clusters the US cell provisions\n" +
        kustomization([
          "us-prod-1/cluster.yaml",
          "us-prod-2/cluster.yaml",
          "us-staging/cluster.yaml",
          "us-prod-3/cluster.yaml",
        ]) + "commonLabels:\n  region: us\n",
    );
    assert.equal((await lattice(dir, "cluster", "delete", "us-prod-3")).code, 0);
    assert.match(await readRepoFile(dir, path), /^# Clusters the US cell provisions\n/);
    assert.doesNotMatch(await readRepoFile(dir, path), /us-prod-3/);
  });
});

/** Every file of the repo, to check a refused command changed nothing. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(`${dir}/${rel}`)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else files.set(path, await Deno.readTextFile(`${dir}/${path}`));
    }
  };
  await walk("");
  return files;
}

const refusals: { args: string[]; message: string; code?: number }[] = [
  {
    args: ["cluster", "create", "x1", "--parent", "nowhere"],
    message: "Cannot create cluster x1: parent 'nowhere' does not exist",
  },
  {
    args: ["cluster", "create", "us-prod-2", "--parent", "us"],
    message:
      "Cannot create cluster us-prod-2: a cluster named us-prod-2 already exists at children/us/children/us-prod-2/",
  },
  {
    args: ["cluster", "create", "x1", "--parent", "us-prod-1"],
    message: "Cannot create cluster x1: parent 'us-prod-1' is not a cell (its " +
      "children/us/children/us-prod-1/cluster.yaml has no spec.cell); create parents with --cell",
  },
  {
    args: ["cluster", "create", "Bad_Name", "--parent", "us"],
    message:
      "Cannot create cluster Bad_Name: the name must be a lowercase DNS-1123 label (a-z, 0-9, '-'; at most 63)",
  },
  {
    args: ["cluster", "create", "x1", "--parent", "us", "--k8s-version", "1.20.0"],
    message:
      "Cannot create cluster x1: --k8s-version must be a supported Kubernetes version, 1.29.x to 1.36.x (e.g. 1.35.0)",
  },
  {
    args: ["cluster", "delete", "us"],
    message: "Cannot delete cluster us: it still has 3 children (us-prod-1, us-prod-2, " +
      "us-staging); delete them first or pass --recursive",
  },
  {
    args: ["cluster", "delete", "root"],
    message: "Cannot delete cluster root: it is the root cluster of the repository",
  },
  {
    args: ["cluster", "upgrade", "us-prod-1", "--k8s-version", "1.30.0"],
    message: "Cannot upgrade cluster us-prod-1 to 1.30.0: is older than the running 1.31.0: " +
      "Kubernetes cannot be downgraded; set it to 1.31.0 or newer (--force overrides)",
  },
  {
    args: ["cluster", "upgrade", "us-prod-1", "--k8s-version", "1.33.0"],
    message: "Cannot upgrade cluster us-prod-1 to 1.33.0: skips minor versions from the " +
      "running 1.31.0: upgrade one minor version at a time (next: 1.32.x) (--force overrides)",
  },
  {
    args: ["cluster", "scale", "nope", "--workers", "3"],
    message: /^Cannot find cluster 'nope'/.source,
  },
  {
    args: ["cluster", "scale", "us-prod-1", "--workers", "lots"],
    message: "--workers lots: must be a whole number from 0 to 5000",
    code: 2,
  },
  {
    args: ["placement", "create", "ghost", "--cluster", "us-prod-1"],
    message: "Cannot place ghost on us-prod-1: service 'ghost' is not registered for " +
      "us-prod-1 (looked in registrations of us-prod-1, us, root); register it first with " +
      "'lattice service register ghost --git-url URL'",
  },
  {
    args: ["placement", "create", "payments", "--cluster", "us-prod-1"],
    message: "Cannot place payments on us-prod-1: children/us/children/us-prod-1/placements/" +
      "payments.yaml already exists (use 'placement scale')",
  },
  {
    args: ["placement", "create", "orders", "--cluster", "us-prod-2", "--env", "bad"],
    message:
      "Cannot place orders on us-prod-2: --env bad must be KEY=VALUE with KEY like LOG_LEVEL",
  },
  {
    args: ["placement", "delete", "orders", "--cluster", "us-prod-2"],
    message: "Cannot remove orders from us-prod-2: orders is not placed on us-prod-2 " +
      "(no children/us/children/us-prod-2/placements/orders.yaml)",
  },
  {
    args: ["service", "register", "payments", "--git-url", "https://github.com/acme/p"],
    message: "Cannot register service payments: registrations/payments.yaml already exists",
  },
  {
    args: ["service", "register", "x", "--git-url", "ftp://nope"],
    message: "Cannot register service x: spec.source.git.url: must be a git URL (https://, " +
      "ssh:// or git@host:path)",
  },
  {
    args: ["flux", "set-version", "1.0.0"],
    message: "Cannot set the Flux version: must be a Flux 2.x release like 2.3.0",
  },
  { args: ["cluster", "create", "x1"], message: "missing required option --parent", code: 2 },
];

for (const r of refusals) {
  Deno.test(`refuses: lattice ${r.args.join(" ")}`, async () => {
    await withRepo(async (dir) => {
      const before = await snapshot(dir);
      const result = await lattice(dir, ...r.args);
      assert.equal(result.code, r.code ?? 1, result.stdout);
      if (r.message.startsWith("^")) assert.match(result.stderr, new RegExp(r.message));
      else assert.equal(result.stderr, r.message);
      assert.deepEqual(await snapshot(dir), before);
    });
  });
}

Deno.test("delete --recursive removes a cell with its children", async () => {
  await withRepo(async (dir) => {
    const r = await lattice(dir, "cluster", "delete", "us", "--recursive");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "Removed children/us/ (with us-prod-1, us-prod-2, us-staging)\n" +
        "Updated children/kustomization.yaml",
    );
    assert.equal((await lattice(dir, "cluster", "tree")).stdout, "root");
    assert.equal((await lattice(dir, "validate")).code, 0);
  });
});

Deno.test("placing on a cell creates its placements/ and lists it", async () => {
  await withRepo(async (dir) => {
    const r = await lattice(dir, "placement", "create", "us-compliance", "--cluster", "us");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        "Created children/us/placements/us-compliance.yaml",
        "Created children/us/placements/kustomization.yaml",
        "Updated children/us/kustomization.yaml",
      ].join("\n"),
    );
    assert.equal(
      await readRepoFile(dir, "children/us/kustomization.yaml"),
      kustomization(["registrations", "children", "placements"]),
    );
    assert.equal((await lattice(dir, "validate")).code, 0);
  });
});

Deno.test("a cluster's own registration shadows the global one, nearest first", async () => {
  await withRepo(async (dir) => {
    const r = await lattice(
      dir,
      "service",
      "register",
      "monitoring",
      "--cluster",
      "us-prod-1",
      "--git-url",
      "git@github.com:acme/monitoring-us.git",
      "--tag",
      "v9.0.0",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        `Created ${P1}/registrations/monitoring.yaml`,
        `Created ${P1}/registrations/kustomization.yaml`,
        `Updated ${P1}/kustomization.yaml`,
      ].join("\n"),
    );
    // registrations goes before placements, whatever order it was added in.
    assert.equal(
      await readRepoFile(dir, `${P1}/kustomization.yaml`),
      kustomization(["registrations", "placements"]),
    );
    const list = await lattice(dir, "placement", "list", "--cluster", "us-prod-1");
    assert.match(list.stdout, /^monitoring {3}monitoring v9\.0\.0 {7}1$/m);
    const services = await lattice(dir, "service", "list", "--cluster", "us-prod-1");
    assert.equal(
      services.stdout.split("\n").slice(0, 3).join("\n"),
      [
        "NAME            SOURCE                              PATH",
        "monitoring      github.com/acme/monitoring-us       ./",
        "us-compliance   github.com/acme/us-compliance       ./deploy",
      ].join("\n"),
    );
    assert.equal((await lattice(dir, "validate")).code, 0);
  });
});
