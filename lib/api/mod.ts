/**
 * The Lattice API: zod schemas of the custom resources (the single source of their CRDs),
 * their inferred types, and the CRD generator.
 *
 * @module
 */
export * from "./cluster_roles.ts";
export * from "./cluster_checks.ts";
export * from "./cluster_rules.ts";
export * from "./condition.ts";
export * from "./crd.ts";
export * from "./crds.ts";
export * from "./documents.ts";
export * from "./lattice_cluster.ts";
export * from "./ip.ts";
export * from "./lattice_environment.ts";
export * from "./lattice_service.ts";
export * from "./mesh_crds.ts";
export * from "./metadata.ts";
export * from "./providers.ts";
export * from "./refs.ts";
export * from "./repo_config.ts";
export * from "./rules.ts";
export * from "./service_placement.ts";
export * from "./service_placement_status.ts";
export * from "./service_registration.ts";
export * from "./validate.ts";
export * from "./validators.ts";
export * from "./workload.ts";
