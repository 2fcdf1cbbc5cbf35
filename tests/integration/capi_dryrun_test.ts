/**
 * Every provider × bootstrap × spec variant is accepted by the REAL upstream CRD schemas:
 * a real kube-apiserver with the CRDs of Cluster API, CAPRKE2, every infrastructure
 * provider and Cilium installed runs a server-side dry-run apply of the generated objects.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { PROVIDERS } from "../../lib/api/mod.ts";
import { ciliumLbIpamObjects, generateCapiObjects, type KubeObject } from "../../lib/capi/mod.ts";
import { kubectl } from "../../lib/sandbox/mod.ts";
import { MATRIX, providerCluster, testBootstrap } from "../capi/fixtures.ts";
import { withControlPlane } from "./_plane.ts";

/** Every CRD set the generated objects use. */
export const CAPI_DRYRUN_CRDS = [
  "cluster-api-v1.14.0/core",
  "cluster-api-v1.14.0/bootstrap-kubeadm",
  "cluster-api-v1.14.0/control-plane-kubeadm",
  "cluster-api-v1.14.0/infrastructure-docker",
  "cluster-api-provider-rke2-v0.25.0",
  "cluster-api-provider-aws-v2.11.1/infrastructure.cluster.x-k8s.io_awsclusters.yaml",
  "cluster-api-provider-aws-v2.11.1/infrastructure.cluster.x-k8s.io_awsmachinetemplates.yaml",
  "cluster-api-provider-openstack-v0.14.7/infrastructure.cluster.x-k8s.io_openstackclusters.yaml",
  "cluster-api-provider-openstack-v0.14.7/infrastructure.cluster.x-k8s.io_openstackmachinetemplates.yaml",
  "cluster-api-provider-proxmox-v0.9.0/infrastructure.cluster.x-k8s.io_proxmoxclusters.yaml",
  "cluster-api-provider-proxmox-v0.9.0/infrastructure.cluster.x-k8s.io_proxmoxmachinetemplates.yaml",
  "cluster-api-provider-gcp-v1.12.0/infrastructure.cluster.x-k8s.io_gcpclusters.yaml",
  "cluster-api-provider-gcp-v1.12.0/infrastructure.cluster.x-k8s.io_gcpmachinetemplates.yaml",
  "cluster-api-provider-azure-v1.26.0/infrastructure.cluster.x-k8s.io_azureclusters.yaml",
  "cluster-api-provider-azure-v1.26.0/infrastructure.cluster.x-k8s.io_azuremachinetemplates.yaml",
  "cilium-v1.19.4/ciliumloadbalancerippools.yaml",
  "cilium-v1.19.4/ciliuml2announcementpolicies.yaml",
];

function yamlStream(objects: KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

/** The spec variants every provider is checked with. */
const VARIANTS = [
  { label: "full", options: {} },
  { label: "minimal", options: { minimal: true } },
  { label: "1cp-0w", options: { controlPlane: 1, workers: 0, version: "1.32.3" } },
  {
    label: "ha-many-sans",
    options: { controlPlane: 5, workers: 50, certSANs: ["a.example", "10.1.2.3"] },
  },
  { label: "cell", options: { cell: true } },
];

Deno.test("generated CAPI objects pass server-side dry-run on the real CRDs", async (t) => {
  await withControlPlane(t, async (plane) => {
    for (const { provider, bootstrap } of MATRIX) {
      for (const variant of VARIANTS) {
        const name = `${provider}-${bootstrap}-${variant.label}`.slice(0, 63);
        const cluster = providerCluster(provider, { ...variant.options, bootstrap, name });
        const manifests = generateCapiObjects(cluster, testBootstrap());
        const [namespace, ...rest] = manifests.objects;
        assert.equal(namespace.kind, "Namespace");
        // Admission refuses objects in a namespace that does not exist, even on dry-run.
        await kubectl(plane, ["apply", "--server-side", "-f", "-"], {
          stdin: yamlStream([namespace]),
        });
        const out = await kubectl(
          plane,
          [
            "apply",
            "--server-side",
            "--dry-run=server",
            "--field-manager=lattice",
            "-o",
            "name",
            "-f",
            "-",
          ],
          { stdin: yamlStream(rest), allowFailure: true },
        );
        assert.equal(out.code, 0, `${name}: ${out.stderr}`);
        assert.equal(out.stdout.trim().split("\n").length, rest.length, `${name}: ${out.stdout}`);
      }
    }
    for (const provider of PROVIDERS.slice(0, 1)) {
      const objects = ciliumLbIpamObjects(providerCluster(provider));
      const out = await kubectl(
        plane,
        ["apply", "--server-side", "--dry-run=server", "-o", "name", "-f", "-"],
        { stdin: yamlStream(objects), allowFailure: true },
      );
      assert.equal(out.code, 0, out.stderr);
    }
  }, { crds: { upstream: CAPI_DRYRUN_CRDS } });
});
