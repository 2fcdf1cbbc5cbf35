/**
 * The cell's servers: the bootstrap webhook (register, binary), Kubernetes Status errors,
 * the agent gRPC server, and the agent registry mirrored into LatticeCluster status.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./grpc_server.ts";
export { type CsrSigner, peerCertificatePem } from "./grpc_session.ts";
export * from "./registry.ts";
export { CommandFailedError } from "./registry_commands.ts";
export {
  AGENT_CONNECTED,
  AgentStatusWriter,
  type AgentStatusWriterOptions,
} from "./registry_status.ts";
export * from "./webhook.ts";
export { type BinarySource, selfBinary } from "./webhook_binary.ts";
export { clusterLookup } from "./webhook_clusters.ts";
export { RateLimiter, type RateLimiterOptions } from "./webhook_rate_limit.ts";
export { serveHttps, type ServeHttpsOptions } from "./webhook_server.ts";
export * from "./https_guard.ts";
export * from "./tcp_front.ts";
export { isValidHost, requestTarget } from "./host.ts";
export type { CellLimits } from "./limits.ts";
export { LivingClusters, type LivingClustersOptions } from "./living.ts";
export * from "./revocation.ts";
