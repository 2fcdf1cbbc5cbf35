/**
 * The LatticeCluster controller: provisioning children through Cluster API in cell mode,
 * scaling and upgrading the cluster itself in self mode.
 *
 * @module
 */
export * from "./capi_status.ts";
export * from "./controller.ts";
export {
  CELL_FIELD_MANAGER,
  CLUSTER_FINALIZER,
  LATTICE_CLUSTER_REF,
  SELF_FIELD_MANAGER,
  STATUS_FIELD_MANAGER,
} from "./deps.ts";
export * from "./reconcile.ts";
export * from "./scope.ts";
export * from "./types.ts";
export * from "./validation.ts";
export * from "./tokens.ts";
export * from "./self_templates.ts";
