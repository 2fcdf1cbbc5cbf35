/**
 * The README's first command, as a person runs it: `lattice sandbox up` (with
 * --exit-when-ready so the test ends), then `status` and `down` with nothing running. The
 * sandbox runs in GitOps mode: it creates the cluster repository, prints its path, and the
 * workload cluster reaches its parent through mgmt's real Flux. Its stop (the programmatic
 * one of --exit-when-ready) prints no WARN or ERROR line: work cut by the shutdown is no
 * failure.
 */
import assert from "node:assert/strict";
import { cli } from "../cli/_cli.ts";

Deno.test("lattice sandbox up reaches Ready for the examples and prints the tree", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-sandbox-cli-" });
  const env = { LATTICE_SANDBOX_DIR: dir, HOME: dir };
  try {
    const up = await cli(["sandbox", "up", "--exit-when-ready", "--timeout", "600"], env);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /mgmt: Pivoting → Ready/);
    assert.match(up.stdout, /workload: Pivoting → Ready/);
    assert.match(up.stdout, /^bootstrap\n└── mgmt \(Ready, 1\.31\.0/m);
    assert.match(up.stdout, /^ {4}└── workload \(Ready, 1\.31\.0/m);
    assert.match(up.stdout, /# workload through bootstrap's proxy \(via mgmt\)/);
    assert.match(
      up.stdout,
      new RegExp(`--kubeconfig ${dir}/kubeconfigs/workload\\.via-mgmt\\.yaml get nodes`),
    );
    assert.match(up.stdout, /^Fleet view: https:\/\/localhost:\d+\/fleet\/$/m);
    assert.match(up.stdout, /^ {2}token \(24 h, read-only\): [\w-]+\.[\w-]+\.[\w-]+$/m);
    assert.match(up.stdout, /lattice cluster tree --live --watch/);
    assert.match(up.stdout, /Sandbox stopped\./);
    const shutdown = up.output.slice(up.output.indexOf("Stopping the sandbox ..."));
    assert.match(shutdown, /^Stopping the sandbox \.\.\.\nSandbox stopped\.$/, shutdown);
    assert.match(up.stdout, new RegExp(`Cluster repository: ${dir}/repo`));
    assert.match(
      await Deno.readTextFile(`${dir}/repo/children/workload/cluster.yaml`),
      /cellRef: mgmt/,
    );
    const kubeconfig = await Deno.readTextFile(`${dir}/kubeconfigs/workload.yaml`);
    assert.match(kubeconfig, /server: https:\/\/localhost:\d+/);

    const status = await cli(["sandbox", "status"], env);
    assert.equal(status.code, 1);
    assert.match(status.stdout, /No sandbox is running/);
    const down = await cli(["sandbox", "down"], env);
    assert.equal(down.code, 0);
    assert.match(down.stdout, /No sandbox is running/);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("lattice sandbox up names the bad field of a --clusters file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-sandbox-cli-" });
  try {
    await Deno.writeTextFile(
      `${dir}/bad.yaml`,
      "apiVersion: lattice.dev/v1alpha1\nkind: LatticeCluster\nmetadata: { name: x }\n" +
        'spec:\n  provider: { kubernetes: { version: "1.31.0" }, config: { docker: {} } }\n' +
        "  nodes: { controlPlane: 0, workers: 0 }\n",
    );
    const up = await cli(["sandbox", "up", "--clusters", `${dir}/bad.yaml`], {
      LATTICE_SANDBOX_DIR: dir,
    });
    assert.equal(up.code, 1);
    assert.match(
      up.stderr,
      /bad\.yaml \(document 1\):\n {2}spec\.nodes\.controlPlane: must be >= 1/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
