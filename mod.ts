/**
 * Lattice: multi-cluster lifecycle management on Cluster API. This module is the public
 * library surface: the API types and schemas.
 *
 * @module
 */
export * from "./lib/api/mod.ts";
