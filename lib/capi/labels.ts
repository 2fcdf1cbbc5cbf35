/**
 * Names and labels shared by every generated Cluster API object, so the controller, the
 * pivot and people with kubectl can find a cluster's objects by label.
 */

/** Label CAPI uses to tie objects to their Cluster. */
export const CAPI_CLUSTER_LABEL = "cluster.x-k8s.io/cluster-name";
/** Label naming the LatticeCluster an object belongs to. */
export const LATTICE_CLUSTER_LABEL = "lattice.dev/cluster";
/** Standard label naming the manager of an object. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** Value of {@linkcode MANAGED_BY_LABEL} on everything Lattice generates. */
export const MANAGED_BY = "lattice";
/** Label CAPI puts on a MachineDeployment's machines. */
export const DEPLOYMENT_NAME_LABEL = "cluster.x-k8s.io/deployment-name";

/** The namespace holding a cluster's CAPI objects on its manager. */
export function capiNamespace(clusterName: string): string {
  return `capi-${clusterName}`;
}

/** The labels every generated object of `clusterName` carries. */
export function clusterLabels(clusterName: string): Record<string, string> {
  return {
    [CAPI_CLUSTER_LABEL]: clusterName,
    [LATTICE_CLUSTER_LABEL]: clusterName,
    [MANAGED_BY_LABEL]: MANAGED_BY,
  };
}

/** Label selector (`k=v,...`) matching every generated object of `clusterName`. */
export function clusterSelector(clusterName: string): string {
  return `${LATTICE_CLUSTER_LABEL}=${clusterName},${MANAGED_BY_LABEL}=${MANAGED_BY}`;
}

/** Name of the control plane object (KubeadmControlPlane or RKE2ControlPlane). */
export function controlPlaneName(clusterName: string): string {
  return `${clusterName}-control-plane`;
}

/** Name of the workers' MachineDeployment. */
export function machineDeploymentName(clusterName: string): string {
  return `${clusterName}-md-0`;
}
