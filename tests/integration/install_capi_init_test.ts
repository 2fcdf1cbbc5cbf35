/**
 * `lattice capi-init` (the child bundle's one-shot Job) on a real API server. clusterctl is
 * played by a SIMULATED clusterctl — a shell script that records its arguments and exits as
 * told — because installing real providers needs their controllers' images and a kubelet.
 */
import assert from "node:assert/strict";
import { CAPI_INIT_NAME, capiInitObjects, namespaceObject } from "../../lib/bundle/mod.ts";
import { capiInit } from "../../lib/install/capi_init.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { withControlPlane } from "./_plane.ts";
import { cli } from "../cli/_cli.ts";

const CRB = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  plural: "clusterrolebindings",
  kind: "ClusterRoleBinding",
  namespaced: false,
};

/** A simulated clusterctl: appends its arguments to `log`, prints `stderr`, exits `code`. */
async function simulatedClusterctl(dir: string, code = 0, stderr = ""): Promise<string> {
  const path = `${dir}/clusterctl-simulated-${code}`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\necho "$@" >> '${dir}/clusterctl.log'\necho '${stderr}' >&2\nexit ${code}\n`,
    { mode: 0o755 },
  );
  return path;
}

Deno.test("capi-init installs the missing providers, then drops its cluster-admin", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await withControlPlane(t, async (plane) => {
      const client = KubeClient.fromKubeconfig(plane.kubeconfig);
      const binding = () => client.get(CRB, CAPI_INIT_NAME).then(() => true, () => false);
      const run = async (clusterctl: string) => {
        const lines: string[] = [];
        const asked = await capiInit({
          client,
          clusterName: "east",
          kubeconfigPath: plane.kubeconfigPath,
          clusterctl,
          print: (l) => lines.push(l),
        });
        return { asked, lines };
      };
      try {
        await client.apply(namespaceObject());
        for (const obj of capiInitObjects("east", "example.com/lattice:1")) {
          await client.apply(obj);
        }
        assert.ok(await binding(), "the bundle's objects are accepted");

        await t.step("its own LatticeCluster is required", async () => {
          await assert.rejects(
            () =>
              capiInit({
                client,
                clusterName: "east",
                kubeconfigPath: plane.kubeconfigPath,
                clusterctl: "/nonexistent",
                waitMs: 300,
                pollMs: 100,
              }),
            /Cannot install Cluster API: this cluster's LatticeCluster east does not exist/,
          );
        });
        await client.apply(minimalClusterDocument("east") as unknown as KubeObject);

        await t.step("a failing clusterctl is reported and the binding kept", async () => {
          const failing = await simulatedClusterctl(dir, 1, "cert-manager is not ready");
          await assert.rejects(
            () => run(failing),
            /Cannot run clusterctl init: exit code 1: cert-manager is not ready/,
          );
          assert.ok(await binding(), "kept for the Job's next attempt");
        });

        await t.step("success drops the binding", async () => {
          await Deno.remove(`${dir}/clusterctl.log`).catch(() => {});
          const { asked, lines } = await run(await simulatedClusterctl(dir));
          assert.deepEqual(asked, [
            "CoreProvider cluster-api",
            "BootstrapProvider kubeadm",
            "ControlPlaneProvider kubeadm",
            "InfrastructureProvider docker",
          ]);
          assert.equal(
            (await Deno.readTextFile(`${dir}/clusterctl.log`)).trim(),
            `init --kubeconfig ${plane.kubeconfigPath} --core cluster-api --bootstrap kubeadm ` +
              `--control-plane kubeadm --infrastructure docker --wait-providers ` +
              `--wait-provider-timeout 600`,
          );
          assert.equal(await binding(), false);
          assert.match(lines.join("\n"), /Deleted ClusterRoleBinding lattice-capi-init/);
        });

        await t.step("installed providers are not installed again", async () => {
          await Deno.remove(`${dir}/clusterctl.log`);
          await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "capi" } });
          for (
            const [name, type] of [
              ["cluster-api", "CoreProvider"],
              ["kubeadm-b", "BootstrapProvider"],
              ["kubeadm-c", "ControlPlaneProvider"],
              ["docker", "InfrastructureProvider"],
            ]
          ) {
            await client.apply({
              apiVersion: "clusterctl.cluster.x-k8s.io/v1alpha3",
              kind: "Provider",
              metadata: { name, namespace: "capi" },
              providerName: name.replace(/-[bc]$/, ""),
              type,
            } as KubeObject);
          }
          const { asked, lines } = await run(await simulatedClusterctl(dir));
          assert.deepEqual(asked, []);
          assert.match(lines[0], /installed already/);
          await assert.rejects(() => Deno.stat(`${dir}/clusterctl.log`), Deno.errors.NotFound);
        });

        await t.step("through the CLI, as the Job runs it", async () => {
          const r = await cli([
            "capi-init",
            "--kubeconfig",
            plane.kubeconfigPath,
            "--clusterctl",
            "/nonexistent",
          ], { LATTICE_CLUSTER_NAME: "east" });
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /installed already/);
          const missing = await cli(["capi-init", "--kubeconfig", plane.kubeconfigPath]);
          assert.equal(missing.code, 2);
          assert.match(missing.stderr, /missing --cluster-name \(or LATTICE_CLUSTER_NAME\)/);
        });
      } finally {
        client.close();
      }
    }, { crds: { lattice: true, upstream: ["cluster-api-v1.14.0/clusterctl"] } });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
