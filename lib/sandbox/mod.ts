/**
 * Local Kubernetes control planes (etcd + kube-apiserver) for the sandbox and the
 * integration tests, and installing CRDs into them.
 *
 * @module
 */
export * from "./binaries.ts";
export * from "./control_plane.ts";
export * from "./crds.ts";
export * from "./kubectl.ts";
export * from "./capi_simulator.ts";
export * from "./capi_sim_machine.ts";
export * from "./capi_sim_status.ts";
export * from "./sandbox.ts";
export * from "./sandbox_progress.ts";
export * from "./clusterctl.ts";
export * from "./sandbox_operator.ts";
export * from "./examples.ts";
