/**
 * `lattice join`: the one-shot registration of a new cluster with its parent cell and
 * the install of the bundle the cell returns.
 *
 * @module
 */
export * from "./apply.ts";
export * from "./join.ts";
export * from "./register.ts";
export * from "./retry.ts";
export * from "./state.ts";
