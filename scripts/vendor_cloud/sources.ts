/**
 * What `deno task vendor-cloud` vendors into third_party/cloud: the upstream manifests of
 * each provider's cloud controller manager and CSI driver, taken verbatim from released Go
 * modules served by the module proxy (the same machinery and PROVENANCE format as
 * third_party/crds). The bundle (lib/bundle/cloud/) is generated from these files by
 * `deno task generate`; image tags are pinned per Kubernetes minor in
 * lib/bundle/cloud/versions.ts.
 *
 * Not vendored: a Proxmox cloud controller manager or CSI driver. The community ones
 * (sergelogvinov/proxmox-cloud-controller-manager, proxmox-csi-plugin) are not served by
 * the module proxy and GitHub is not reachable from the build machines; Proxmox nodes take
 * their provider ID from cloud-init (lib/capi/providers/proxmox.ts), which is what a CCM
 * would set.
 */
import type { CrdSet } from "../vendor_crds/sources.ts";

const APACHE = "Apache-2.0";

/** Every vendored cloud set, in folder order. */
export const CLOUD_SETS: readonly CrdSet[] = [
  {
    folder: "aws-cloud-controller-manager-v1.36.2",
    project: "kubernetes/cloud-provider-aws",
    tag: "v1.36.2",
    licence: APACHE,
    sources: [{
      module: "k8s.io/cloud-provider-aws",
      version: "v1.36.2",
      paths: [
        "examples/existing-cluster/base/apiserver-authentication-reader-role-binding.yaml",
        "examples/existing-cluster/base/aws-cloud-controller-manager-daemonset.yaml",
        "examples/existing-cluster/base/cluster-role-binding.yaml",
        "examples/existing-cluster/base/cluster-role.yaml",
        "examples/existing-cluster/base/service-account.yaml",
      ],
    }],
  },
  {
    folder: "aws-ebs-csi-driver-v1.44.0",
    project: "kubernetes-sigs/aws-ebs-csi-driver",
    tag: "v1.44.0",
    licence: APACHE,
    note: "The kustomize base without Windows nodes; served as github.com/kubernetes-sigs/...",
    sources: [{
      module: "github.com/kubernetes-sigs/aws-ebs-csi-driver",
      version: "v1.44.0",
      paths: [
        "deploy/kubernetes/base/clusterrole-attacher.yaml",
        "deploy/kubernetes/base/clusterrole-csi-node.yaml",
        "deploy/kubernetes/base/clusterrole-provisioner.yaml",
        "deploy/kubernetes/base/clusterrole-resizer.yaml",
        "deploy/kubernetes/base/clusterrole-snapshotter.yaml",
        "deploy/kubernetes/base/clusterrolebinding-attacher.yaml",
        "deploy/kubernetes/base/clusterrolebinding-csi-node.yaml",
        "deploy/kubernetes/base/clusterrolebinding-provisioner.yaml",
        "deploy/kubernetes/base/clusterrolebinding-resizer.yaml",
        "deploy/kubernetes/base/clusterrolebinding-snapshotter.yaml",
        "deploy/kubernetes/base/controller.yaml",
        "deploy/kubernetes/base/csidriver.yaml",
        "deploy/kubernetes/base/node.yaml",
        "deploy/kubernetes/base/poddisruptionbudget-controller.yaml",
        "deploy/kubernetes/base/role-leases.yaml",
        "deploy/kubernetes/base/rolebinding-leases.yaml",
        "deploy/kubernetes/base/serviceaccount-csi-controller.yaml",
        "deploy/kubernetes/base/serviceaccount-csi-node.yaml",
      ],
    }],
  },
  {
    folder: "azure-cloud-provider-v1.34.3",
    project: "kubernetes-sigs/cloud-provider-azure",
    tag: "v1.34.3",
    licence: APACHE,
    note: "Newer tags are refused by the module proxy here; the image is pinned per " +
      "Kubernetes minor in lib/bundle/cloud/versions.ts.",
    sources: [{
      module: "sigs.k8s.io/cloud-provider-azure",
      version: "v1.34.3",
      paths: [
        "examples/out-of-tree/cloud-controller-manager.yaml",
        "examples/out-of-tree/cloud-node-manager.yaml",
      ],
    }],
  },
  {
    folder: "azuredisk-csi-driver-v1.33.0",
    project: "kubernetes-sigs/azuredisk-csi-driver",
    tag: "v1.33.0",
    licence: APACHE,
    note: "Linux only; no snapshot controller (a cluster may run its own).",
    sources: [{
      module: "sigs.k8s.io/azuredisk-csi-driver",
      version: "v1.33.0",
      paths: [
        "deploy/v1.33.0/csi-azuredisk-controller.yaml",
        "deploy/v1.33.0/csi-azuredisk-driver.yaml",
        "deploy/v1.33.0/csi-azuredisk-node.yaml",
        "deploy/v1.33.0/rbac-csi-azuredisk-controller.yaml",
        "deploy/v1.33.0/rbac-csi-azuredisk-node.yaml",
      ],
    }],
  },
  {
    folder: "gcp-cloud-controller-manager-capg-v1.12.0",
    project: "kubernetes-sigs/cluster-api-provider-gcp",
    tag: "v1.12.0",
    licence: APACHE,
    note: "k8s.io/cloud-provider-gcp's root module is refused by the module proxy; CAPG " +
      "ships the GCE cloud controller manager's manifest it tests with (image by variable).",
    sources: [{
      module: "sigs.k8s.io/cluster-api-provider-gcp",
      version: "v1.12.0",
      paths: ["test/e2e/data/ccm/gce-cloud-controller-manager.yaml"],
    }],
  },
  {
    folder: "gcp-compute-persistent-disk-csi-driver-v1.28.1",
    project: "kubernetes-sigs/gcp-compute-persistent-disk-csi-driver",
    tag: "v1.28.1",
    licence: APACHE,
    note: "The kustomize base (controller and Linux node) and the image tags of its " +
      "stable-master overlay (image.yaml), which the bundle applies.",
    sources: [{
      module: "sigs.k8s.io/gcp-compute-persistent-disk-csi-driver",
      version: "v1.28.1",
      paths: [
        "deploy/kubernetes/base/controller/cluster_setup.yaml",
        "deploy/kubernetes/base/controller/controller.yaml",
        "deploy/kubernetes/base/controller/v1_csidriver.yaml",
        "deploy/kubernetes/base/node_linux/node.yaml",
        "deploy/kubernetes/images/stable-master/image.yaml",
      ],
    }],
  },
  {
    folder: "openstack-cloud-provider-v1.35.0",
    project: "kubernetes/cloud-provider-openstack",
    tag: "v1.35.0",
    licence: APACHE,
    note: "The OpenStack cloud controller manager and the Cinder CSI plugin.",
    sources: [{
      module: "k8s.io/cloud-provider-openstack",
      version: "v1.35.0",
      paths: [
        "manifests/cinder-csi-plugin/cinder-csi-controllerplugin-rbac.yaml",
        "manifests/cinder-csi-plugin/cinder-csi-controllerplugin.yaml",
        "manifests/cinder-csi-plugin/cinder-csi-nodeplugin-rbac.yaml",
        "manifests/cinder-csi-plugin/cinder-csi-nodeplugin.yaml",
        "manifests/cinder-csi-plugin/csi-cinder-driver.yaml",
        "manifests/controller-manager/cloud-controller-manager-role-bindings.yaml",
        "manifests/controller-manager/cloud-controller-manager-roles.yaml",
        "manifests/controller-manager/openstack-cloud-controller-manager-ds.yaml",
      ],
    }],
  },
];
