/**
 * The service mesh: LatticeService (workloads and bilateral agreements compiled to Cilium
 * and Istio policies), default deny, and LatticeEnvironment. See docs/mesh.md.
 *
 * @module
 */
export * from "./agreement.ts";
export * from "./apply.ts";
export * from "./canary.ts";
export * from "./controller.ts";
export * from "./default_deny.ts";
export * from "./environment.ts";
export * from "./expand.ts";
export * from "./names.ts";
export * from "./policies.ts";
export * from "./reconcile.ts";
export * from "./status.ts";
export * from "./types.ts";
export * from "./workload.ts";
export * from "./policy_index.ts";
