/**
 * The cell's HTTPS front: bounds what a client can hold before and between requests.
 * `Deno.serve` has no handshake, header or idle timeout and no connection cap, so TLS is
 * terminated here (Deno.listenTls → rustls) and each connection is relayed to a plain
 * HTTP `Deno.serve` on loopback that only answers connections relayed by this front.
 *
 * - connections: at most `maxConnections` in total and `maxConnectionsPerClient` per
 *   client address; a connection over either cap is closed before its TLS handshake;
 * - handshake: a TLS handshake must finish within `handshakeTimeoutMs`;
 * - headers: once a client sends bytes on a connection with no request in progress, the
 *   request's head must be complete within `headerTimeoutMs` (slowloris);
 * - idle: a connection with no request in progress and no bytes is closed after
 *   `idleTimeoutMs` (a watch in progress is a request: it is never cut);
 * - rate: new connections per client address are rate-limited before the handshake, and
 *   the bytes a client address sends are paced to `uploadBytesPerSecond`;
 * - refused bodies: an HTTP/1.1 request with a body answered with an error has its
 *   connection closed once the answer is sent, so the rest of a refused body is never
 *   relayed (nor drained).
 *
 * Handlers get the real client address as `info.remoteAddr`, and requests whose Host is not
 * a host are refused with 400 (host.ts), so routing follows the request target only.
 */
import { StatusError } from "./errors.ts";
import { requestTarget } from "./host.ts";
import { RateLimiter, type RateLimiterOptions } from "./webhook_rate_limit.ts";

/** The bounds of {@linkcode serveGuarded}; every field has a default. */
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
   * (handshakes cost the cell CPU); default bursts of 100, 20 a second sustained.
   */
  connectionRate?: RateLimiterOptions;
  /**
   * Bytes a client address may send per second, all its connections together (bodies
   * relayed beyond it wait: TCP pushes back on the client); default 8 MiB/s, with one
   * second's worth as burst. Bounds the CPU one client can make the cell spend on
   * decrypting and relaying uploads.
   */
  uploadBytesPerSecond?: number;
}

/** Defaults of {@linkcode ConnectionLimits}. */
export const DEFAULT_CONNECTION_LIMITS: Readonly<Required<ConnectionLimits>> = {
  maxConnections: 4096,
  maxConnectionsPerClient: 128,
  handshakeTimeoutMs: 10_000,
  headerTimeoutMs: 15_000,
  idleTimeoutMs: 120_000,
  connectionRate: { burst: 100, perMinute: 1_200 },
  uploadBytesPerSecond: 8 << 20,
};

/** Counters of a guarded server (for tests, metrics and the abuse benchmark). */
export interface GuardStats {
  /** Connections open now (any phase). */
  open: number;
  /** Connections closed at once for a cap. */
  refused: number;
  /** Connections closed for a timeout, by kind. */
  timedOut: { handshake: number; header: number; idle: number };
}

/** Options for {@linkcode serveGuarded}. */
export interface GuardedServeOptions {
  certPem: string;
  keyPem: string;
  hostname: string;
  port: number;
  limits?: ConnectionLimits;
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
}

/** A running guarded server. */
export interface GuardedServer {
  /** The public (TLS) address. */
  readonly addr: Deno.NetAddr;
  /** Resolves once the server stopped. */
  readonly finished: Promise<void>;
  /** Counters. */
  stats(): GuardStats;
  /** Stops accepting and closes every connection. */
  shutdown(): Promise<void>;
}

/**
 * What a guarded handler gets besides Deno.serve's info: `holdClient` makes the front stop
 * reading the client's bytes while the returned promise is pending (an upgraded connection
 * whose relay is full: TCP then pushes back on the client).
 */
export interface GuardedInfo extends Deno.ServeHandlerInfo<Deno.NetAddr> {
  holdClient?: (gate: () => Promise<void> | undefined) => void;
}

/** The handler shape of Deno.serve on TCP. */
export type GuardedHandler = (
  request: Request,
  info: GuardedInfo,
) => Response | Promise<Response>;

interface Conn {
  client: string;
  remote: Deno.NetAddr;
  tls: Deno.TlsConn;
  inner?: Deno.Conn;
  innerPort?: number;
  /** The protocol TLS negotiated (h2 or http/1.1). */
  alpn?: string | null;
  /** Ending after the answer in flight (a refused body). */
  finishing?: boolean;
  open: boolean;
  inFlight: number;
  idleSince: number;
  /** When bytes arrived with no request in progress (a head being sent). */
  pendingSince?: number;
  /** Set by an upgraded connection's handler: a pending promise holds the client's bytes. */
  gate?: () => Promise<void> | undefined;
}

const CHUNK = 16 * 1024;

async function writeAll(to: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await to.write(bytes.subarray(at));
}

function badRequest(error: StatusError): Response {
  return new Response(JSON.stringify(error.toStatus()), {
    status: error.code,
    headers: { "content-type": "application/json", connection: "close" },
  });
}

/** Serves `handler` over HTTPS behind the connection guard. */
export function serveGuarded(
  handler: GuardedHandler,
  options: GuardedServeOptions,
): GuardedServer {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const stats: GuardStats = { open: 0, refused: 0, timedOut: { handshake: 0, header: 0, idle: 0 } };
  const all = new Set<Conn>();
  const perClient = new Map<string, number>();
  const byInnerPort = new Map<number, Conn>();
  const rate = new RateLimiter(limits.connectionRate);
  // Per client address: upload allowance in bytes, refilled at uploadBytesPerSecond.
  const uploads = new Map<string, { tokens: number; at: number }>();
  const pace = async (client: string, bytes: number) => {
    const perMs = limits.uploadBytesPerSecond / 1000;
    let bucket = uploads.get(client);
    if (!bucket) {
      // Bounded memory: forgetting everyone only hands out fresh allowances.
      if (uploads.size >= 10_000) uploads.clear();
      bucket = { tokens: limits.uploadBytesPerSecond, at: Date.now() };
      uploads.set(client, bucket);
    }
    const now = Date.now();
    bucket.tokens = Math.min(
      limits.uploadBytesPerSecond,
      bucket.tokens + (now - bucket.at) * perMs,
    );
    bucket.at = now;
    bucket.tokens -= bytes;
    if (bucket.tokens < 0) await new Promise((r) => setTimeout(r, -bucket.tokens / perMs));
  };
  const innerStop = new AbortController();

  const inner = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: innerStop.signal,
    onListen: () => {},
  }, async (request, info) => {
    const conn = byInnerPort.get(info.remoteAddr.port);
    // Only connections relayed by this front are served (never a local process's own).
    if (!conn) return new Response("Forbidden\n", { status: 403 });
    conn.inFlight++;
    conn.pendingSince = undefined;
    let unreadBody = false;
    const done = () => {
      conn.inFlight--;
      if (conn.inFlight === 0) conn.idleSince = Date.now();
      // Draining a refused body would relay every byte of it: end the connection instead,
      // once the answer has been relayed (see `finish`).
      if (unreadBody) finish(conn);
    };
    info.completed.then(done, done);
    let response: Response;
    try {
      requestTarget(request);
      response = await handler(request, {
        ...info,
        remoteAddr: conn.remote,
        holdClient: (gate) => conn.gate = gate,
      });
    } catch (error) {
      if (!(error instanceof StatusError)) throw error;
      response = badRequest(error);
    }
    // HTTP/1.1 only: closing an HTTP/2 connection would end its other streams (and HTTP/2
    // flow control already bounds what an unread body sends).
    unreadBody = conn.alpn !== "h2" && response.status >= 400 && request.body !== null;
    return response;
  });

  const listener = Deno.listenTls({
    hostname: options.hostname,
    port: options.port,
    cert: options.certPem,
    key: options.keyPem,
    alpnProtocols: ["h2", "http/1.1"],
  });
  const addr = listener.addr as Deno.NetAddr;

  const close = (conn: Conn) => {
    if (!conn.open) return;
    conn.open = false;
    all.delete(conn);
    stats.open = all.size;
    const left = (perClient.get(conn.client) ?? 1) - 1;
    if (left <= 0) perClient.delete(conn.client);
    else perClient.set(conn.client, left);
    if (conn.innerPort !== undefined) byInnerPort.delete(conn.innerPort);
    try {
      conn.tls.close();
    } catch { /* already closed */ }
    try {
      conn.inner?.close();
    } catch { /* already closed */ }
  };

  /**
   * Ends a connection after the answer in flight: stops relaying the client's bytes and
   * ends the inner side's input, so the inner server finishes and closes; the answer is
   * relayed to the client on the way out. Forced after 5 s.
   */
  const finish = (conn: Conn) => {
    if (!conn.open || conn.finishing) return;
    conn.finishing = true;
    conn.inner?.closeWrite().catch(() => close(conn));
    setTimeout(() => close(conn), 5_000);
  };

  const pump = async (conn: Conn, from: Deno.Conn, to: Deno.Conn, fromClient: boolean) => {
    const buffer = new Uint8Array(CHUNK);
    try {
      while (conn.open) {
        const held = fromClient ? conn.gate?.() : undefined;
        if (held) await held;
        const n = await from.read(buffer);
        if (n === null) break;
        // A finishing connection relays nothing more from the client.
        if (fromClient && conn.finishing) break;
        if (fromClient && conn.inFlight === 0) conn.pendingSince ??= Date.now();
        if (fromClient) await pace(conn.client, n);
        await writeAll(to, buffer.subarray(0, n));
      }
    } catch {
      // Reset or closed by the other pump: either way the connection is over.
    } finally {
      // The client-side pump of a finishing connection leaves the other to drain the answer.
      if (!(fromClient && conn.finishing)) close(conn);
    }
  };

  const serve = async (conn: Conn) => {
    const timer = setTimeout(() => {
      stats.timedOut.handshake++;
      close(conn);
    }, limits.handshakeTimeoutMs);
    try {
      conn.alpn = (await conn.tls.handshake()).alpnProtocol;
    } catch {
      close(conn);
      return;
    } finally {
      clearTimeout(timer);
    }
    if (!conn.open) return;
    try {
      const relay = await Deno.connect({ hostname: "127.0.0.1", port: inner.addr.port });
      conn.inner = relay;
      conn.innerPort = (relay.localAddr as Deno.NetAddr).port;
      byInnerPort.set(conn.innerPort, conn);
      if (!conn.open) relay.close();
    } catch {
      close(conn);
      return;
    }
    conn.idleSince = Date.now();
    void pump(conn, conn.tls, conn.inner, true);
    void pump(conn, conn.inner, conn.tls, false);
  };

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const conn of all) {
      if (!conn.inner || conn.inFlight > 0) continue;
      if (conn.pendingSince !== undefined) {
        if (now - conn.pendingSince > limits.headerTimeoutMs) {
          stats.timedOut.header++;
          close(conn);
        }
      } else if (now - conn.idleSince > limits.idleTimeoutMs) {
        stats.timedOut.idle++;
        close(conn);
      }
    }
  }, Math.max(50, Math.min(1_000, limits.headerTimeoutMs / 4, limits.idleTimeoutMs / 4)));

  const accepting = (async () => {
    while (true) {
      let tls: Deno.TlsConn;
      try {
        tls = await listener.accept();
      } catch {
        return;
      }
      const remote = tls.remoteAddr as Deno.NetAddr;
      const client = remote.hostname;
      const count = perClient.get(client) ?? 0;
      if (
        all.size >= limits.maxConnections || count >= limits.maxConnectionsPerClient ||
        !rate.take(client).allowed
      ) {
        stats.refused++;
        try {
          tls.close();
        } catch { /* gone */ }
        continue;
      }
      const conn: Conn = {
        client,
        remote,
        tls,
        open: true,
        inFlight: 0,
        idleSince: Date.now(),
      };
      all.add(conn);
      perClient.set(client, count + 1);
      stats.open = all.size;
      void serve(conn);
    }
  })();

  let stopping: Promise<void> | undefined;
  const finished = Promise.withResolvers<void>();
  const shutdown = () => {
    stopping ??= (async () => {
      try {
        listener.close();
      } catch { /* closed */ }
      await accepting;
      clearInterval(sweep);
      for (const conn of [...all]) close(conn);
      innerStop.abort();
      await inner.finished;
      finished.resolve();
    })();
    return stopping;
  };
  if (options.signal?.aborted) void shutdown();
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  options.onListen?.(addr);
  return {
    addr,
    finished: finished.promise,
    stats: () => ({ ...stats, timedOut: { ...stats.timedOut } }),
    shutdown,
  };
}
