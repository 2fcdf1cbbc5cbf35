/**
 * The fleet at a glance: subtree state reported up the hierarchy (state, deltas, reporter),
 * the cell's live page, and the views `lattice cluster tree --live` prints.
 *
 * @module
 */
export * from "./limits.ts";
export * from "./state.ts";
export * from "./merge.ts";
export * from "./delta.ts";
export * from "./reporter.ts";
export * from "./convert.ts";
export * from "./node.ts";
export * from "./view.ts";
export * from "./tree.ts";
export * from "./web/access.ts";
export * from "./web/sse.ts";
export * from "./web/app.ts";
export * from "./client.ts";
export * from "./viewer.ts";
