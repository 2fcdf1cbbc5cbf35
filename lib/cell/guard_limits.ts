/**
 * The bounds of the cell's HTTPS front (https_guard.ts) and its counters. Every field has
 * a default; the operator's flags fill them (lib/cli/commands/operator_limits.ts) and
 * docs/security.md ("What we defend against") lists them.
 */
import type { RateLimiterOptions } from "./webhook_rate_limit.ts";

/** The bounds of the guarded HTTPS server; every field has a default. */
export interface ConnectionLimits {
  /** Connections open at once, all clients; default 4096. */
  maxConnections?: number;
  /** Connections open at once per client address; default 128. */
  maxConnectionsPerClient?: number;
  /** Time to finish the TLS handshake; default 10 s. */
  handshakeTimeoutMs?: number;
  /** Time to finish a request's head once its first byte arrived; default 15 s. */
  headerTimeoutMs?: number;
  /** Time a connection may sit with no request in progress; default 120 s. */
  idleTimeoutMs?: number;
  /**
   * New connections per client address: a token bucket checked before the TLS handshake
   * (handshakes cost the cell CPU); default bursts of 50, 5 a second sustained (clients
   * keep their connections: kubectl and browsers open a few, not one per request).
   */
  connectionRate?: RateLimiterOptions;
  /**
   * Bytes a client address may send per second, all its connections together (bodies
   * relayed beyond it wait: TCP pushes back on the client); default 2 MiB/s, with one
   * second's worth as burst. Bounds the CPU one client can make the cell spend on
   * decrypting and relaying uploads.
   */
  uploadBytesPerSecond?: number;
  /**
   * Bytes all clients together may send per second (default 8 MiB/s); shared fairly: a
   * client is paced to its own rate and, when the total is spent, waits its turn with the
   * others. Bounds the share of the cell's CPU that uploads can take from everything else.
   */
  totalUploadBytesPerSecond?: number;
  /**
   * How long a connection refused for a rate or a cap is held (its bytes ignored) before
   * it is closed, so a client retrying at once costs the cell one accept per interval, not
   * a busy loop; at most `tarpitMax` are held at once (beyond, closed at once). Default
   * 1 s, 256; 0 closes at once.
   */
  tarpitMs?: number;
  /** Refused connections held at once by the tarpit; default 256. */
  tarpitMax?: number;
}

/** Defaults of {@linkcode ConnectionLimits}. */
export const DEFAULT_CONNECTION_LIMITS: Readonly<Required<ConnectionLimits>> = {
  maxConnections: 4096,
  maxConnectionsPerClient: 128,
  handshakeTimeoutMs: 10_000,
  headerTimeoutMs: 15_000,
  idleTimeoutMs: 120_000,
  connectionRate: { burst: 50, perMinute: 300 },
  uploadBytesPerSecond: 2 << 20,
  totalUploadBytesPerSecond: 8 << 20,
  tarpitMs: 1_000,
  tarpitMax: 256,
};

/** Counters of a guarded server (for tests, metrics and the abuse benchmark). */
export interface GuardStats {
  /** Connections open now (any phase). */
  open: number;
  /** Connections refused for a cap or a rate (closed before their TLS handshake). */
  refused: number;
  /** Connections closed for a timeout, by kind. */
  timedOut: { handshake: number; header: number; idle: number };
}
