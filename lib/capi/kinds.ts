/**
 * API versions and kinds of the Cluster API objects Lattice generates, at the versions
 * served by the CRDs Lattice is tested against (cluster-api v1.14, CAPRKE2 v0.25).
 */

/** An apiVersion + kind pair. */
export interface TypeRef {
  apiVersion: string;
  kind: string;
}

/** CAPI core group. */
export const CAPI_GROUP = "cluster.x-k8s.io";
/** Bootstrap providers' group. */
export const BOOTSTRAP_GROUP = "bootstrap.cluster.x-k8s.io";
/** Control plane providers' group. */
export const CONTROL_PLANE_GROUP = "controlplane.cluster.x-k8s.io";
/** Infrastructure providers' group. */
export const INFRASTRUCTURE_GROUP = "infrastructure.cluster.x-k8s.io";

/** `Cluster` (cluster.x-k8s.io/v1beta2). */
export const CLUSTER: TypeRef = { apiVersion: `${CAPI_GROUP}/v1beta2`, kind: "Cluster" };
/** `MachineDeployment` (cluster.x-k8s.io/v1beta2). */
export const MACHINE_DEPLOYMENT: TypeRef = {
  apiVersion: `${CAPI_GROUP}/v1beta2`,
  kind: "MachineDeployment",
};
/** `KubeadmControlPlane` (v1beta2). */
export const KUBEADM_CONTROL_PLANE: TypeRef = {
  apiVersion: `${CONTROL_PLANE_GROUP}/v1beta2`,
  kind: "KubeadmControlPlane",
};
/** `KubeadmConfigTemplate` (v1beta2). */
export const KUBEADM_CONFIG_TEMPLATE: TypeRef = {
  apiVersion: `${BOOTSTRAP_GROUP}/v1beta2`,
  kind: "KubeadmConfigTemplate",
};
/** `RKE2ControlPlane` (v1beta2). */
export const RKE2_CONTROL_PLANE: TypeRef = {
  apiVersion: `${CONTROL_PLANE_GROUP}/v1beta2`,
  kind: "RKE2ControlPlane",
};
/** `RKE2ConfigTemplate` (v1beta2). */
export const RKE2_CONFIG_TEMPLATE: TypeRef = {
  apiVersion: `${BOOTSTRAP_GROUP}/v1beta2`,
  kind: "RKE2ConfigTemplate",
};

/** The control plane kind for a bootstrap flavour. */
export function controlPlaneType(bootstrap: "kubeadm" | "rke2"): TypeRef {
  return bootstrap === "rke2" ? RKE2_CONTROL_PLANE : KUBEADM_CONTROL_PLANE;
}

/** The group part of an apiVersion (`a.b/v1` → `a.b`; core `v1` → ``). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}
