import assert from "node:assert/strict";
import { PROVIDERS } from "../../lib/api/mod.ts";
import {
  CCM_TAGS,
  ccmTag,
  CLOUD_ADDON_LABEL,
  CLOUD_KUBERNETES_MINORS,
  cloudAddonObjects,
  GCP_PD_NAMESPACE,
  OPENSTACK_CLOUD_CONFIG,
} from "../../lib/bundle/cloud/mod.ts";
import { childBundle } from "../../lib/bundle/mod.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { providerCluster } from "../capi/fixtures.ts";

const AGENT = { certificatePem: "c", caBundlePem: "ca", grpcEndpoint: "cell.example:50051" };

function images(objects: KubeObject[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "image" && typeof x === "string") out.push(x);
        else walk(x);
      }
    }
  };
  walk(objects);
  return out;
}

const CCM_REPO: Record<string, string> = {
  aws: "registry.k8s.io/provider-aws/cloud-controller-manager",
  openstack: "registry.k8s.io/provider-os/openstack-cloud-controller-manager",
  azure: "mcr.microsoft.com/oss/kubernetes/azure-cloud-controller-manager",
  gcp: "gcr.io/k8s-staging-cloud-provider-gcp/cloud-controller-manager",
};

Deno.test("every cloud provider's bundle carries its CCM at the tag pinned for each minor", () => {
  for (const provider of ["aws", "openstack", "gcp", "azure"] as const) {
    for (const minor of CLOUD_KUBERNETES_MINORS) {
      const cluster = providerCluster(provider, { version: `1.${minor}.1` });
      const objects = cloudAddonObjects(cluster.spec);
      const ccm = objects.filter((o) => o.metadata?.labels?.[CLOUD_ADDON_LABEL] === "ccm");
      const tag = CCM_TAGS[provider][minor];
      assert.ok(tag, `${provider} 1.${minor} pinned`);
      assert.ok(
        images(ccm).includes(`${CCM_REPO[provider]}:${tag}`),
        `${provider} 1.${minor}: ${images(ccm).join(", ")}`,
      );
      // No unresolved variable and no image without a tag reaches the cluster.
      for (const image of images(objects)) {
        assert.match(image, /^[a-z0-9.\-/]+:v[0-9][\w.\-]*$/, `${provider}: ${image}`);
      }
      // Every namespaced object names its namespace; every object carries the label.
      for (const o of objects) {
        assert.ok(o.metadata?.labels?.[CLOUD_ADDON_LABEL], `${o.kind}/${o.metadata?.name}`);
      }
      assert.ok(objects.some((o) => o.kind === "CSIDriver"), `${provider}: a CSI driver`);
      assert.ok(!objects.some((o) => o.kind === "List"), `${provider}: Lists are flattened`);
    }
  }
});

Deno.test("docker and proxmox carry no cloud add-ons; csi none drops the CSI driver", () => {
  for (const provider of PROVIDERS) {
    const objects = cloudAddonObjects(providerCluster(provider).spec);
    if (provider === "docker" || provider === "proxmox") assert.deepEqual(objects, []);
    else assert.ok(objects.length > 3, provider);
  }
  const cluster = providerCluster("aws");
  cluster.spec.provider.csi = "none";
  const objects = cloudAddonObjects(cluster.spec);
  assert.ok(objects.every((o) => o.metadata?.labels?.[CLOUD_ADDON_LABEL] === "ccm"));
  assert.ok(!objects.some((o) => o.kind === "CSIDriver"));
});

Deno.test("the GCE controller gets the cluster's pod CIDR; GCE PD runs in its namespace", () => {
  const cluster = providerCluster("gcp", {
    networking: { pods: "10.77.0.0/16", services: "10.96.0.0/12" },
  });
  const objects = cloudAddonObjects(cluster.spec);
  const text = JSON.stringify(objects);
  assert.ok(text.includes("--cluster-cidr=10.77.0.0/16"));
  assert.ok(!text.includes("192.168.0.0/16"));
  const pd = objects.filter((o) => o.metadata?.labels?.[CLOUD_ADDON_LABEL] === "csi");
  assert.equal(pd[0].kind, "Namespace");
  for (const o of pd.filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet")) {
    assert.equal(o.metadata?.namespace, GCP_PD_NAMESPACE);
  }
  assert.ok(
    images(pd).includes(
      "registry.k8s.io/cloud-provider-gcp/gcp-compute-persistent-disk-csi-driver:v1.26.0",
    ),
  );
});

Deno.test("OpenStack's cloud.conf Secret is in the bundle when the parent gives it", () => {
  const cluster = providerCluster("openstack");
  assert.ok(!cloudAddonObjects(cluster.spec).some((o) => o.kind === "Secret"));
  const bundle = childBundle(
    { name: "os-1", spec: cluster.spec },
    AGENT,
    { openstackCloudConf: "[Global]\nauth-url=https://keystone.example:5000/v3\n" },
  );
  const secret = bundle.find((o) =>
    o.kind === "Secret" && o.metadata?.name === OPENSTACK_CLOUD_CONFIG.name
  ) as KubeObject & { stringData: Record<string, string> };
  assert.equal(secret.metadata?.namespace, "kube-system");
  assert.match(secret.stringData["cloud.conf"], /auth-url=/);
  // The CCM comes before the workloads that need an initialized node.
  const ccm = bundle.findIndex((o) => o.kind === "DaemonSet");
  const operator = bundle.findIndex((o) =>
    o.kind === "Deployment" && o.metadata?.name === "lattice-operator"
  );
  assert.ok(ccm >= 0 && ccm < operator);
});

Deno.test("a Kubernetes minor without a pinned CCM is a clear error", () => {
  assert.throws(
    () => ccmTag("aws", "1.28.0"),
    /No aws cloud controller manager is pinned for Kubernetes 1\.28/,
  );
  assert.throws(() => ccmTag("aws", "x"), /Cannot read Kubernetes version/);
});
