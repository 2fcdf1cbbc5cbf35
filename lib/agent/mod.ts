/**
 * The child's agent: the outbound gRPC stream to its parent cell, the command handler
 * table, reconnect backoff, cluster health and certificate rotation.
 *
 * @module
 */
export {
  AgentClient,
  type AgentClientEvent,
  type AgentClientOptions,
  defaultHandlers,
} from "./client.ts";
export { backoffDelay, type BackoffOptions, reconnectDelay, sleep } from "./backoff.ts";
export {
  AGENT_MAX_MESSAGE_BYTES,
  agentChannelOptions,
  assertDialable,
  type ChannelSettings,
  openChannel,
} from "./channel.ts";
export {
  type AgentPayload,
  type CommandCase,
  type CommandContext,
  CommandDispatcher,
  type CommandHandler,
  type CommandHandlers,
  type CommandPayload,
  type CommandResult,
  type DispatcherOptions,
} from "./handlers.ts";
export { kubernetesVersion, nodeHealth } from "./health.ts";
export {
  acceptRenewedCertificate,
  type AgentCredentials,
  DEFAULT_RENEW_BEFORE_MS,
  prepareRenewal,
  renewalDue,
} from "./rotation.ts";
export { AgentStreamRun, type StreamRunOptions } from "./stream.ts";
