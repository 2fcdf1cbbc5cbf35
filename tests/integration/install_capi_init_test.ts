/**
 * `lattice capi-init` (the child bundle's one-shot Job) on a real API server. clusterctl is
 * played by a SIMULATED clusterctl — a shell script that records its arguments and exits as
 * told — because installing real providers needs their controllers' images and a kubelet.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { LATTICE_CLUSTER_REF } from "../../lib/api/mod.ts";
import {
  CAPI_INIT_NAME,
  capiInitObjects,
  NAMESPACE,
  namespaceObject,
} from "../../lib/bundle/mod.ts";
import { componentConfigMaps } from "../../lib/providers/mod.ts";
import { fixtureComponentSets } from "./_components.ts";
import { capiInit } from "../../lib/install/capi_init.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { withControlPlane } from "./_plane.ts";
import { cli } from "../cli/_cli.ts";

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

const CRB = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  plural: "clusterrolebindings",
  kind: "ClusterRoleBinding",
  namespaced: false,
};

/**
 * A simulated clusterctl: appends its arguments to `log`, keeps a copy of the `--config`
 * file it was given (capi-init removes its own), prints `stderr`, exits `code`.
 */
async function simulatedClusterctl(dir: string, code = 0, stderr = ""): Promise<string> {
  const path = `${dir}/clusterctl-simulated-${code}`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\necho "$@" >> '${dir}/clusterctl.log'\n` +
      `while [ $# -gt 0 ]; do if [ "$1" = --config ]; then cp "$2" '${dir}/config.yaml'; fi; shift; done\n` +
      `echo '${stderr}' >&2\nexit ${code}\n`,
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

        await t.step(
          "without the parent's components: a condition, nothing downloaded",
          async () => {
            await assert.rejects(
              () => run(`${dir}/never-run`),
              /The parent cell sent no Cluster API components for core cluster-api, bootstrap kubeadm, control-plane kubeadm, infrastructure docker, cert-manager/,
            );
            const own = await client.get<KubeObject & { status?: { conditions?: Condition[] } }>(
              LATTICE_CLUSTER_REF,
              "east",
            );
            const condition = own.status?.conditions?.find((c) => c.type === "CapiComponents");
            assert.equal(condition?.status, "False");
            assert.equal(condition?.reason, "ComponentsMissing");
            assert.ok(await binding(), "kept for the Job's next attempt");
          },
        );
        for (const cm of componentConfigMaps(fixtureComponentSets(["docker"]), NAMESPACE)) {
          await client.apply(cm);
        }

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
          const logged = (await Deno.readTextFile(`${dir}/clusterctl.log`)).trim();
          assert.match(
            logged,
            new RegExp(
              `^init --kubeconfig ${plane.kubeconfigPath} --core cluster-api --bootstrap kubeadm ` +
                `--control-plane kubeadm --infrastructure docker --wait-providers ` +
                `--wait-provider-timeout 600 --config /\\S+/clusterctl\\.yaml$`,
            ),
          );
          // Every provider from a local file (the parent's components), nothing from the network.
          const config = parse(await Deno.readTextFile(`${dir}/config.yaml`)) as {
            providers: { name: string; type: string; url: string }[];
            "cert-manager": { url: string; version: string };
          };
          assert.deepEqual(config.providers.map((p) => `${p.type} ${p.name}`).sort(), [
            "BootstrapProvider kubeadm",
            "ControlPlaneProvider kubeadm",
            "CoreProvider cluster-api",
            "InfrastructureProvider docker",
          ]);
          for (const p of config.providers) assert.match(p.url, /^file:\/\//);
          assert.match(config["cert-manager"].url, /^file:\/\/.*\/cert-manager\/v1\.19\.1\//);
          const own = await client.get<KubeObject & { status?: { conditions?: Condition[] } }>(
            LATTICE_CLUSTER_REF,
            "east",
          );
          assert.equal(
            own.status?.conditions?.find((c) => c.type === "CapiComponents")?.status,
            "True",
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
