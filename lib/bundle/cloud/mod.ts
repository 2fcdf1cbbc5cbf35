/**
 * Cloud controller managers and CSI drivers of the child bundle, from vendored upstream
 * manifests (third_party/cloud).
 *
 * @module
 */
export * from "./cloud.ts";
export * from "./versions.ts";
