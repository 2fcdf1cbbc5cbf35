/**
 * The Lattice bundle: every object that installs the operator into a cluster, as
 * TypeScript (the compiled binary reads no files). Used by `manifests/` (plain install),
 * by the cell's bootstrap webhook (the child bundle) and by `lattice join`.
 *
 * @module
 */
export * from "./addons.ts";
export * from "./bundle.ts";
export * from "./cloud/mod.ts";
export * from "./names.ts";
export * from "./operator.ts";
export * from "./rbac.ts";
