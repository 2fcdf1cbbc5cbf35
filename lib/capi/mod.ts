/**
 * Cluster API manifest generation: pure functions from a LatticeCluster (and the cell's
 * bootstrap information) to the CAPI objects that provision it, for every provider and
 * both bootstrap flavours, plus the child's Cilium LB-IPAM objects.
 *
 * @module
 */
export * from "./cilium.ts";
export * from "./cluster.ts";
export * from "./hash.ts";
export * from "./join.ts";
export * from "./kinds.ts";
export * from "./kubeadm.ts";
export * from "./labels.ts";
export * from "./providers/mod.ts";
export * from "./rke2.ts";
export * from "./types.ts";
export * from "./control_plane.ts";
