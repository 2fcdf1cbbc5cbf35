/** The agent's gRPC channel: mTLS credentials, keepalives, message size limit. */
import { Buffer } from "node:buffer";
import { isIP } from "node:net";
import { type ChannelOptions, credentials } from "@grpc/grpc-js";
import { LatticeAgentClient } from "../proto/lattice/agent/v1/agent.ts";
import type { AgentCredentials } from "./rotation.ts";

/** Largest message either side accepts (the cell uses the same limit). */
export const AGENT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Options for {@linkcode openChannel}. */
export interface ChannelSettings {
  /** Keepalive ping interval; default 30 s. */
  keepaliveTimeMs?: number;
  /** Ping answer deadline; default 20 s. */
  keepaliveTimeoutMs?: number;
  /** Default {@linkcode AGENT_MAX_MESSAGE_BYTES}. */
  maxMessageBytes?: number;
  /** First delay of the channel's own transport reconnects; default 1 s. */
  reconnectInitialMs?: number;
  /** Cap of the channel's own transport reconnects; default 2 min. */
  reconnectMaxMs?: number;
}

/** Channel options for the agent side. */
export function agentChannelOptions(settings: ChannelSettings = {}): ChannelOptions {
  const max = settings.maxMessageBytes ?? AGENT_MAX_MESSAGE_BYTES;
  return {
    "grpc.max_receive_message_length": max,
    "grpc.max_send_message_length": max,
    "grpc.keepalive_time_ms": settings.keepaliveTimeMs ?? 30_000,
    "grpc.keepalive_timeout_ms": settings.keepaliveTimeoutMs ?? 20_000,
    "grpc.keepalive_permit_without_calls": 1,
    // The transport reconnects on the same schedule as the agent's stream loop.
    "grpc.initial_reconnect_backoff_ms": settings.reconnectInitialMs ?? 1_000,
    "grpc.max_reconnect_backoff_ms": settings.reconnectMaxMs ?? 120_000,
    // A private subchannel per channel: agents sharing a process (tests, benchmarks) must
    // not share connections or backoff state.
    "grpc.use_local_subchannel_pool": 1,
  };
}

/** Throws unless `address` (`host:port`) names its host by DNS name. */
export function assertDialable(address: string): void {
  const host = address.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  if (isIP(host) !== 0) {
    // Deno's TLS refuses an IP as server name; the cell's certificate names DNS names.
    throw new Error(`Cannot dial ${address}: use the cell's DNS name, not an IP address`);
  }
}

/**
 * A client for `address` (`host:port`; the host must be a DNS name such as `localhost`,
 * because the server certificate is checked against it).
 */
export function openChannel(
  address: string,
  creds: AgentCredentials,
  settings: ChannelSettings = {},
): LatticeAgentClient {
  assertDialable(address);
  const channelCredentials = credentials.createSsl(
    Buffer.from(creds.caPem),
    Buffer.from(creds.keyPem),
    Buffer.from(creds.certPem),
  );
  return new LatticeAgentClient(address, channelCredentials, agentChannelOptions(settings));
}
