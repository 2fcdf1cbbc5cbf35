/**
 * The child bundle of every provider (Lattice's install, the cloud controller manager and
 * CSI driver of lib/bundle/cloud, Cilium LB-IPAM, the agent Secret) passes a server-side
 * dry-run on a real kube-apiserver with the real CRDs (Lattice's and Cilium's): the
 * vendored upstream manifests as changed by the bundle are valid objects of Kubernetes 1.36.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { PROVIDERS } from "../../lib/api/mod.ts";
import { childBundle, CLOUD_ADDON_LABEL } from "../../lib/bundle/mod.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { kubectl } from "../../lib/sandbox/mod.ts";
import { providerCluster } from "../capi/fixtures.ts";
import { withControlPlane } from "./_plane.ts";

const AGENT = {
  certificatePem: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
  caBundlePem: "ca",
  grpcEndpoint: "cell.example:50051",
};

const yamlStream = (objects: KubeObject[]) =>
  objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");

Deno.test("every provider's child bundle passes server-side dry-run on the real CRDs", async (t) => {
  await withControlPlane(t, async (plane) => {
    for (const provider of PROVIDERS) {
      for (const version of ["1.29.4", "1.36.3"]) {
        const cluster = providerCluster(provider, { version, name: `${provider}-x` });
        const bundle = childBundle({ name: cluster.metadata.name!, spec: cluster.spec }, AGENT, {
          openstackCloudConf: "[Global]\nauth-url=https://keystone.example:5000/v3\n",
        });
        const cloud = bundle.filter((o) => o.metadata?.labels?.[CLOUD_ADDON_LABEL]);
        if (provider === "docker" || provider === "proxmox") assert.equal(cloud.length, 0);
        else assert.ok(cloud.length > 5, `${provider}: ${cloud.length} cloud objects`);
        // Admission needs namespaces and CRDs to exist even for a dry-run: those go first.
        const first = bundle.filter((o) =>
          o.kind === "Namespace" || o.kind === "CustomResourceDefinition"
        );
        const rest = bundle.filter((o) => !first.includes(o));
        await kubectl(plane, ["apply", "--server-side", "--force-conflicts", "-f", "-"], {
          stdin: yamlStream(first),
        });
        await kubectl(plane, [
          "wait",
          "--for=condition=Established",
          "crd",
          "-l",
          "app.kubernetes.io/part-of=lattice",
        ]);
        const out = await kubectl(
          plane,
          [
            "apply",
            "--server-side",
            "--dry-run=server",
            "--field-manager=lattice-join",
            "-o",
            "name",
            "-f",
            "-",
          ],
          { stdin: yamlStream(rest), allowFailure: true },
        );
        assert.equal(out.code, 0, `${provider} ${version}: ${out.stderr}`);
        assert.equal(
          out.stdout.trim().split("\n").length,
          rest.length,
          `${provider}: ${out.stdout}`,
        );
      }
    }
  }, { crds: { upstream: ["cilium-v1.19.4"] } });
});
