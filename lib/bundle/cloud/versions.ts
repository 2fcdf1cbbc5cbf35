/**
 * The cloud controller manager of each provider, pinned per Kubernetes minor, and the CSI
 * driver versions. A cloud controller manager follows Kubernetes' own release line (its
 * minor matches the cluster's; upstream supports ±1), so each minor gets the newest patch
 * release of that line that the Go module proxy serves (`go list -m -json
 * <module>@<version>`, checked when this table was written). The manifests themselves come
 * from the vendored release in third_party/cloud; only the image tag changes per minor.
 *
 * CSI drivers are not tied to a Kubernetes minor (each supports a range covering
 * 1.29–1.36): one pinned release each, the vendored one.
 */

/** Providers with a cloud controller manager in the bundle. */
export type CloudProvider = "aws" | "openstack" | "gcp" | "azure";

/** Kubernetes minors a LatticeCluster may run (lib/api/validators.ts k8sVersion). */
export const CLOUD_KUBERNETES_MINORS = [29, 30, 31, 32, 33, 34, 35, 36] as const;

/**
 * Cloud controller manager image tag per provider and Kubernetes minor. AWS has no release
 * served for 1.29.0 (v1.29.1 is) nor for every patch; GCP's cloud-provider-gcp is not
 * served by the proxy, so every minor uses the release CAPG v1.12 tests with (v34.2.0),
 * which supports 1.29–1.36 through the cloud-provider library's skew policy.
 */
export const CCM_TAGS: Readonly<Record<CloudProvider, Readonly<Record<number, string>>>> = {
  aws: {
    29: "v1.29.1",
    30: "v1.30.1",
    31: "v1.31.0",
    32: "v1.32.0",
    33: "v1.33.4",
    34: "v1.34.4",
    35: "v1.35.3",
    36: "v1.36.2",
  },
  openstack: {
    29: "v1.29.0",
    30: "v1.30.0",
    31: "v1.31.2",
    32: "v1.32.0",
    33: "v1.33.1",
    34: "v1.34.1",
    35: "v1.35.0",
    36: "v1.36.0",
  },
  azure: {
    29: "v1.29.3",
    30: "v1.30.3",
    31: "v1.31.0",
    32: "v1.32.3",
    33: "v1.33.2",
    34: "v1.34.3",
    35: "v1.35.3",
    36: "v1.36.3",
  },
  gcp: {
    29: "v34.2.0",
    30: "v34.2.0",
    31: "v34.2.0",
    32: "v34.2.0",
    33: "v34.2.0",
    34: "v34.2.0",
    35: "v34.2.0",
    36: "v34.2.0",
  },
};

/** The image repositories whose tag {@linkcode CCM_TAGS} sets. */
export const CCM_IMAGES: Readonly<Record<CloudProvider, readonly string[]>> = {
  aws: ["registry.k8s.io/provider-aws/cloud-controller-manager"],
  openstack: ["registry.k8s.io/provider-os/openstack-cloud-controller-manager"],
  azure: [
    "mcr.microsoft.com/oss/kubernetes/azure-cloud-controller-manager",
    "mcr.microsoft.com/oss/kubernetes/azure-cloud-node-manager",
  ],
  gcp: ["gcr.io/k8s-staging-cloud-provider-gcp/cloud-controller-manager"],
};

/** Where each provider's manifests are vendored (third_party/cloud folders). */
export const CLOUD_SETS_OF: Readonly<
  Record<CloudProvider, { ccm: readonly string[]; csi: readonly string[] }>
> = {
  aws: {
    ccm: ["aws-cloud-controller-manager-v1.36.2"],
    csi: ["aws-ebs-csi-driver-v1.44.0"],
  },
  openstack: {
    ccm: [
      "openstack-cloud-provider-v1.35.0/cloud-controller-manager-roles.yaml",
      "openstack-cloud-provider-v1.35.0/cloud-controller-manager-role-bindings.yaml",
      "openstack-cloud-provider-v1.35.0/openstack-cloud-controller-manager-ds.yaml",
    ],
    csi: [
      "openstack-cloud-provider-v1.35.0/cinder-csi-controllerplugin-rbac.yaml",
      "openstack-cloud-provider-v1.35.0/cinder-csi-controllerplugin.yaml",
      "openstack-cloud-provider-v1.35.0/cinder-csi-nodeplugin-rbac.yaml",
      "openstack-cloud-provider-v1.35.0/cinder-csi-nodeplugin.yaml",
      "openstack-cloud-provider-v1.35.0/csi-cinder-driver.yaml",
    ],
  },
  azure: {
    ccm: ["azure-cloud-provider-v1.34.3"],
    csi: [
      "azuredisk-csi-driver-v1.33.0/rbac-csi-azuredisk-controller.yaml",
      "azuredisk-csi-driver-v1.33.0/rbac-csi-azuredisk-node.yaml",
      "azuredisk-csi-driver-v1.33.0/csi-azuredisk-driver.yaml",
      "azuredisk-csi-driver-v1.33.0/csi-azuredisk-controller.yaml",
      "azuredisk-csi-driver-v1.33.0/csi-azuredisk-node.yaml",
    ],
  },
  gcp: {
    ccm: ["gcp-cloud-controller-manager-capg-v1.12.0"],
    csi: [
      "gcp-compute-persistent-disk-csi-driver-v1.28.1/cluster_setup.yaml",
      "gcp-compute-persistent-disk-csi-driver-v1.28.1/v1_csidriver.yaml",
      "gcp-compute-persistent-disk-csi-driver-v1.28.1/controller.yaml",
      "gcp-compute-persistent-disk-csi-driver-v1.28.1/node.yaml",
    ],
  },
};

/** The GCE PD CSI driver's namespace (its kustomize base sets it on every object). */
export const GCP_PD_NAMESPACE = "gce-pd-csi-driver";
/** The kustomize image transformers of the GCE PD CSI driver, vendored with it. */
export const GCP_PD_IMAGE_FILE = "gcp-compute-persistent-disk-csi-driver-v1.28.1/image.yaml";
