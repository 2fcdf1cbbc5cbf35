/**
 * Service delivery: LatticeServicePlacements become running services through Flux, with
 * registrations inherited down the hierarchy. See docs/placements.md.
 *
 * @module
 */
export * from "./artifact.ts";
export * from "./controller.ts";
export * from "./handdown.ts";
export * from "./operator.ts";
export * from "./reconcile.ts";
export * from "./render.ts";
export * from "./resolve.ts";
export * from "./status.ts";
export * from "./validate.ts";
