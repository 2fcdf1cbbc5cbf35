/**
 * The GitOps cluster repository: its layout, the model read from it, validation, and the
 * edits the `lattice cluster|service|placement|flux|validate` commands make.
 *
 * @module
 */
export * from "./changes.ts";
export * from "./cluster_edit.ts";
export * from "./cluster_update.ts";
export * from "./errors.ts";
export { type FindRepoOptions, findRepoRoot } from "./fs.ts";
export * from "./hierarchy.ts";
export * from "./issues.ts";
export * from "./kustomization.ts";
export * from "./layout.ts";
export * from "./repo.ts";
export * from "./service_edit.ts";
export * from "./table.ts";
export * from "./validate.ts";
export * from "./versions.ts";
export * from "./views.ts";
