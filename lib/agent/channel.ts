/** The agent's gRPC channel: mTLS credentials, keepalives, message size limit. */
import { Buffer } from "node:buffer";
import { isIP } from "node:net";
import { type ChannelOptions, credentials } from "@grpc/grpc-js";
import { LatticeAgentClient } from "../proto/lattice/agent/v1/agent.ts";
import { CELL_NAME_OVERRIDE, hostOf, ipIdentityCheck } from "./ip_identity.ts";
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

/** Throws unless `address` is `host:port` with a host (DNS name, IPv4, or bracketed IPv6). */
export function assertDialable(address: string): void {
  const host = hostOf(address);
  const bracketed = address.startsWith("[");
  if (
    !host || !/:\d+$/.test(address) ||
    (host.includes(":") && (!bracketed || isIP(host) !== 6))
  ) {
    throw new Error(`Cannot dial ${address}: expected host:port`);
  }
}

/**
 * A client for `address` (`host:port`). A DNS name is checked against the cell
 * certificate's DNS SANs by TLS itself. An IP address cannot be a TLS server name here
 * (Deno's node:tls refuses it): the handshake checks the DNS SAN every cell certificate
 * carries ({@link CELL_NAME_OVERRIDE}) and the dialled IP must be among its IP SANs.
 */
export function openChannel(
  address: string,
  creds: AgentCredentials,
  settings: ChannelSettings = {},
): LatticeAgentClient {
  assertDialable(address);
  const host = hostOf(address);
  const byIp = isIP(host) !== 0;
  const channelCredentials = credentials.createSsl(
    Buffer.from(creds.caPem),
    Buffer.from(creds.keyPem),
    Buffer.from(creds.certPem),
    byIp ? { checkServerIdentity: ipIdentityCheck(host) } : undefined,
  );
  const options = agentChannelOptions(settings);
  if (byIp) options["grpc.ssl_target_name_override"] = CELL_NAME_OVERRIDE;
  return new LatticeAgentClient(address, channelCredentials, options);
}
