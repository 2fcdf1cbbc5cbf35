/**
 * The operator process: probes, metrics and controller wiring (with leader election).
 *
 * @module
 */
export { createOperatorApp, type OperatorAppOptions, type Readiness } from "./server.ts";
export { type ControllerFactory, runOperator, type RunOperatorOptions } from "./run.ts";
