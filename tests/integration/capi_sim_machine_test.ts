/**
 * The join command on a simulated machine (a folder standing for a node, with kubectl) against
 * a real API server: a node of a cluster that has joined already — a control plane replacing
 * another after the pivot, when the parent may be gone — does nothing and succeeds; on a
 * cluster that has not joined its condition is false, so it goes on to download and join.
 */
import assert from "node:assert/strict";
import { joinCommands, joinedCheck } from "../../lib/capi/join.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { silentLogger } from "../../lib/log/mod.ts";
import { resolveBinaries, runPostBootstrap } from "../../lib/sandbox/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { withControlPlane } from "./_plane.ts";

const INFO = {
  // Nothing listens here.
  cellUrl: "https://localhost:1",
  caBundlePem: "unused",
  tokenSecretName: "lattice-bootstrap-token",
};

Deno.test("the join is skipped on a cluster that has joined already, for kubeadm and RKE2", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-machine-test-" });
  const { kubectl } = await resolveBinaries();
  try {
    await withControlPlane(t, async (plane) => {
      const run = (bootstrap: "kubeadm" | "rke2", machine: string, commands?: string[]) =>
        runPostBootstrap({
          root: `${dir}/${machine}`,
          files: [],
          commands: commands ?? joinCommands("east", INFO, bootstrap),
          adminKubeconfig: plane.kubeconfig,
          kubectl,
          logger: silentLogger,
          timeoutMs: 60_000,
        });
      // Not joined: the condition is false, so the node goes on to download and join.
      for (const bootstrap of ["kubeadm", "rke2"] as const) {
        const before = await run(bootstrap, `first-${bootstrap}`, [joinedCheck("east", bootstrap)]);
        assert.equal(before.ok, false, before.log);
      }

      const client = KubeClient.fromKubeconfig(plane.kubeconfig);
      try {
        await client.apply(minimalClusterDocument("east") as unknown as KubeObject);
      } finally {
        client.close();
      }
      for (const bootstrap of ["kubeadm", "rke2"] as const) {
        const after = await run(bootstrap, `replacement-${bootstrap}`);
        assert.equal(after.ok, true, after.log);
        assert.match(after.log, /^lattice: east has joined already; nothing to do$/m);
      }
    }, { crds: { lattice: true } });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
