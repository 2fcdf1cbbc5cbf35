/**
 * Wiring of the LatticeCluster reconciler into the runtime: a Controller over
 * LatticeClusters that also watches the CAPI Clusters and MachineDeployments Lattice
 * generated, so CAPI progress wakes the owning LatticeCluster at once instead of at the
 * next poll.
 */
import { LATTICE_CLUSTER_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from "../../capi/mod.ts";
import type { KubeClient, KubeObject, ResourceRef } from "../../kube/mod.ts";
import { Controller, type ControllerOptions } from "../../runtime/mod.ts";
import { LATTICE_CLUSTER_REF } from "./deps.ts";
import { ClusterReconciler, type ClusterReconcilerOptions } from "./reconcile.ts";
import type { ClusterObject } from "./types.ts";

/** CAPI Cluster's resource (v1beta2). */
export const CAPI_CLUSTER_REF: ResourceRef = {
  group: "cluster.x-k8s.io",
  version: "v1beta2",
  plural: "clusters",
  kind: "Cluster",
  namespaced: true,
};

/** CAPI MachineDeployment's resource (v1beta2). */
export const MACHINE_DEPLOYMENT_REF: ResourceRef = {
  group: "cluster.x-k8s.io",
  version: "v1beta2",
  plural: "machinedeployments",
  kind: "MachineDeployment",
  namespaced: true,
};

/** Options of {@linkcode clusterController}. */
export interface ClusterControllerOptions extends ClusterReconcilerOptions {
  /** Parallel reconciles; default 4. */
  workers?: number;
  /** Extra controller options (metrics, clock, queue tuning). */
  controller?: Partial<
    Omit<ControllerOptions<ClusterObject>, "ref" | "reconciler" | "owns" | "workers">
  >;
}

function ownerKey(obj: KubeObject): string[] {
  const name = obj.metadata?.labels?.[LATTICE_CLUSTER_LABEL];
  return name ? [name] : [];
}

/** A runtime Controller reconciling LatticeClusters with {@linkcode ClusterReconciler}. */
export function clusterController(
  client: KubeClient,
  options: ClusterControllerOptions,
): Controller<ClusterObject> {
  const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
  const reconciler = new ClusterReconciler(client, options);
  const controller = new Controller<ClusterObject>(client, {
    name: "latticecluster",
    logger: options.logger,
    recorder: options.recorder,
    ...options.controller,
    ref: LATTICE_CLUSTER_REF,
    reconciler,
    workers: options.workers ?? 4,
    owns: [
      { ref: CAPI_CLUSTER_REF, labelSelector, toKeys: ownerKey },
      { ref: MACHINE_DEPLOYMENT_REF, labelSelector, toKeys: ownerKey },
    ],
  });
  // Re-reconciles read the CAPI Cluster from the watch's cache: no GET per wake-up.
  reconciler.useCapiClusterCache(controller.ownedStore(0));
  return controller;
}
