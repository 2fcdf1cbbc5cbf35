/**
 * Provider credentials and identities: what a cluster's infrastructure references
 * (identities.ts), their move with the pivot (identity_discovery.ts) and the variables
 * clusterctl needs from them (clusterctl_vars.ts).
 *
 * @module
 */
export * from "./identities.ts";
export * from "./identity_discovery.ts";
export * from "./clusterctl_vars.ts";
export * from "./components.ts";
export * from "./cell_components.ts";
export * from "./openstack_conf.ts";
