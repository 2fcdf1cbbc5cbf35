/**
 * The cell's agent gRPC server: mTLS with a client certificate required and signed by this
 * cell's CA, keepalives to find dead peers, and a message size limit.
 */
import { Buffer } from "node:buffer";
import { type ChannelOptions, Server, ServerCredentials } from "@grpc/grpc-js";
import { type CertificateAuthority, signClientCsr } from "../pki/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { type LatticeAgentServer, LatticeAgentService } from "../proto/lattice/agent/v1/agent.ts";
import {
  type AgentAdmission,
  type CsrSigner,
  handleAgentStream,
  type LiveStream,
} from "./grpc_session.ts";
import type { AgentRegistry } from "./registry.ts";
import { AdmissionPacer, type AdmissionPacingOptions } from "./admission_pacer.ts";
import { type AgentPortLimits, serveTcpFront, type TcpFront } from "./tcp_front.ts";

/** Default of {@linkcode AgentServerOptions.renewalWindowMs}: 15 days. */
export const DEFAULT_RENEWAL_WINDOW_MS = 15 * 24 * 60 * 60_000;

/** Largest message either side accepts: a pivot batch must stay below it. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Options for {@linkcode startAgentServer}. */
export interface AgentServerOptions {
  /** This cell's CA: the only issuer accepted for client certificates. */
  ca: CertificateAuthority;
  /** The server's certificate and key (PEM), valid for the name agents dial. */
  serverCert: { certPem: string; keyPem: string };
  registry: AgentRegistry;
  /** Address to bind; default `localhost`. */
  host?: string;
  /** Port; default 0 (any free port). */
  port?: number;
  /** Signs renewal CSRs; default signs with `ca` for `renewalValidityDays`. */
  signCsr?: CsrSigner;
  /** Validity of renewed client certificates; default 30 days. */
  renewalValidityDays?: number;
  /** Default {@linkcode MAX_MESSAGE_BYTES}. */
  maxMessageBytes?: number;
  /** Interval of keepalive pings to agents; default 60 s. */
  keepaliveTimeMs?: number;
  /** How long a ping may go unanswered before the connection is dropped; default 20 s. */
  keepaliveTimeoutMs?: number;
  /** Time a new stream has to send its first message; default 30 s. */
  helloTimeoutMs?: number;
  /**
   * Whether a verified certificate may still act for its cluster (a living LatticeCluster,
   * not revoked); asked at connect, before every renewal, and every `recheckIntervalMs`
   * for open streams. Absent: every certificate of the CA is admitted.
   */
  admit?: AgentAdmission;
  /**
   * Pacing of stream admissions (a reconnect storm): streams over the bounds are refused
   * with RESOURCE_EXHAUSTED and a retry hint; `false` turns pacing off. Default
   * {@linkcode AdmissionPacer}'s (256 at once, 1,000 a second).
   */
  admission?: AdmissionPacingOptions | false;
  /** How often open streams are admitted again; default 30 s. */
  recheckIntervalMs?: number;
  /**
   * Renewals are accepted only when the stream's certificate expires within this; default
   * 15 days (agents renew 10 days before the end of a 30-day certificate).
   */
  renewalWindowMs?: number;
  /** Least time between two renewals of one cluster; default 1 hour. */
  renewalIntervalMs?: number;
  /**
   * Connection caps, rate and establish timeout of the agent port (tcp_front.ts): the
   * public port is then a TCP front relaying to the gRPC server on loopback. Default on
   * with {@linkcode DEFAULT_AGENT_PORT_LIMITS}; `false` binds grpc-js directly.
   */
  portLimits?: AgentPortLimits | false;
  now?: () => number;
  logger?: Logger;
}

/** A running agent server. */
export interface AgentServer {
  /** The bound port. */
  readonly port: number;
  /** The admission pacer (absent when pacing is off): its counters. */
  readonly pacer?: AdmissionPacer;
  /** Stops accepting, waits up to `graceMs` (default 5 s) for streams, then forces. */
  close(graceMs?: number): Promise<void>;
}

/** gRPC server channel options derived from `options`. */
export function serverChannelOptions(options: Partial<AgentServerOptions> = {}): ChannelOptions {
  const max = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  return {
    "grpc.max_receive_message_length": max,
    "grpc.max_send_message_length": max,
    "grpc.keepalive_time_ms": options.keepaliveTimeMs ?? 60_000,
    "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs ?? 20_000,
    // Agents ping every 30 s by default; accept that without calling it abuse.
    "grpc.http2.min_ping_interval_without_data_ms": 10_000,
    "grpc.keepalive_permit_without_calls": 1,
  };
}

/** Starts the agent server and binds it; resolves once it listens. */
export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const logger = options.logger ?? silentLogger;
  const ca = options.ca;
  const validityDays = options.renewalValidityDays ?? 30;
  const signCsr: CsrSigner = options.signCsr ??
    ((identity, csrPem) => signClientCsr(ca, csrPem, { identity, validityDays }));
  const server = new Server(serverChannelOptions(options));
  const live = new Set<LiveStream>();
  const pacer = options.admission === false ? undefined : new AdmissionPacer(options.admission);
  const ctx = {
    pacer,
    registry: options.registry,
    signCsr,
    logger,
    helloTimeoutMs: options.helloTimeoutMs ?? 30_000,
    now: options.now ?? Date.now,
    admit: options.admit,
    renewalWindowMs: options.renewalWindowMs ?? DEFAULT_RENEWAL_WINDOW_MS,
    renewalIntervalMs: options.renewalIntervalMs ?? 60 * 60_000,
    lastRenewal: new Map<string, number>(),
    live,
  };
  // A cluster deleted (or revoked) while its agent is connected loses its stream here.
  const recheck = options.admit && setInterval(() => {
    for (const stream of live) {
      options.admit!(stream.identity, stream.certPem).then(
        (reason) => reason && stream.close(`Cannot keep stream: ${reason}`),
        (error) => logger.warn("Cannot re-admit agent stream", { error }),
      );
    }
  }, options.recheckIntervalMs ?? 30_000);
  let front: TcpFront | undefined;
  const service: LatticeAgentServer = {
    connect: (call) => {
      front?.established(call.getPeer());
      handleAgentStream(call, ctx);
    },
  };
  server.addService(LatticeAgentService, service);
  const credentials = ServerCredentials.createSsl(
    Buffer.from(ca.certPem),
    [{
      cert_chain: Buffer.from(options.serverCert.certPem),
      private_key: Buffer.from(options.serverCert.keyPem),
    }],
    true,
  );
  const address = `${options.host ?? "localhost"}:${options.port ?? 0}`;
  const fronted = options.portLimits !== false;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(fronted ? "127.0.0.1:0" : address, credentials, (error, bound) => {
      if (error) reject(new Error(`Cannot start agent server on ${address}`, { cause: error }));
      else resolve(bound);
    });
  });
  let port = bound;
  if (fronted) {
    try {
      front = serveTcpFront({
        hostname: options.host ?? "localhost",
        port: options.port ?? 0,
        targetPort: bound,
        limits: options.portLimits || undefined,
      });
    } catch (cause) {
      server.forceShutdown();
      throw new Error(`Cannot start agent server on ${address}`, { cause });
    }
    port = front.addr.port;
  }
  logger.info("Agent server listening", { address, port });
  let closing: Promise<void> | undefined;
  return {
    port,
    pacer,
    close(graceMs = 5_000) {
      clearInterval(recheck || undefined);
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }).then(() => front?.shutdown());
      return closing;
    },
  };
}
