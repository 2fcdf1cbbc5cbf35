/**
 * Lattice: multi-cluster lifecycle management on Cluster API. The public library surface:
 * the API (schemas, types, CRDs) at the top level, and each concern as a namespace.
 *
 * @module
 */
export * from "./lib/api/mod.ts";
export * as agent from "./lib/agent/mod.ts";
export * as bundle from "./lib/bundle/mod.ts";
export * as capi from "./lib/capi/mod.ts";
export * as cell from "./lib/cell/mod.ts";
export * as clusterController from "./lib/controllers/cluster/mod.ts";
export * as gitops from "./lib/gitops/mod.ts";
export * as kube from "./lib/kube/mod.ts";
export * as pivot from "./lib/pivot/mod.ts";
export * as pki from "./lib/pki/mod.ts";
export * as proxy from "./lib/proxy/mod.ts";
export * as runtime from "./lib/runtime/mod.ts";
export * as sandbox from "./lib/sandbox/mod.ts";
