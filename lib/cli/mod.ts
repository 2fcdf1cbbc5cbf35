/**
 * The `lattice` command-line interface.
 *
 * @module
 */
export * from "./command.ts";
export * from "./root.ts";
