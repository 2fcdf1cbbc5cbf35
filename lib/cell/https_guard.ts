/**
 * The cell's HTTPS front: bounds what a client can hold before and between requests.
 * `Deno.serve` has no handshake, header or idle timeout and no connection cap, so the
 * client's TCP connection is accepted here (admitted or refused before any TLS work), its
 * bytes relayed to a loopback TLS listener (rustls) where TLS is terminated, and the
 * decrypted bytes relayed to a plain HTTP `Deno.serve` on loopback; both loopback servers
 * only answer connections this front made (see guard_connections.ts for why TCP first).
 *
 * - connections: at most `maxConnections` in total and `maxConnectionsPerClient` per
 *   client address; a connection over either cap, or over its address's connection rate,
 *   is refused before its TLS handshake (guard_connections.ts);
 * - handshake: a TLS handshake must finish within `handshakeTimeoutMs`;
 * - headers: once a client sends bytes on a connection with no request in progress, the
 *   request's head must be complete within `headerTimeoutMs` (slowloris);
 * - idle: a connection with no request in progress and no bytes is closed after
 *   `idleTimeoutMs` (a watch in progress is a request: it is never cut);
 * - uploads: the bytes a client address sends are paced (guard_upload.ts);
 * - refused bodies: an HTTP/1.1 request with a body answered with an error has its
 *   connection closed once the answer is sent, so the rest of a refused body is never
 *   relayed (nor drained).
 *
 * Handlers get the real client address as `info.remoteAddr`, and requests whose Host is not
 * a host are refused with 400 (host.ts), so routing follows the request target only.
 * The bounds and their defaults are in guard_limits.ts.
 */
import { StatusError } from "./errors.ts";
import { ConnectionTable, type GuardedConn, writeAll } from "./guard_connections.ts";
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type GuardStats,
} from "./guard_limits.ts";
import { requestTarget } from "./host.ts";

export {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type GuardStats,
} from "./guard_limits.ts";

/** Options for {@linkcode serveGuarded}. */
export interface GuardedServeOptions {
  certPem: string;
  keyPem: string;
  hostname: string;
  port: number;
  limits?: ConnectionLimits;
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
  /**
   * Told what a handler threw (other than a StatusError) and what broke a response body
   * midway (a proxied watch whose cluster went away); the client gets a 500 or a cut
   * connection either way. Without it Deno prints the error and its stack to stderr.
   */
  onError?: (error: unknown) => void;
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

function badRequest(error: StatusError): Response {
  return new Response(JSON.stringify(error.toStatus()), {
    status: error.code,
    headers: { "content-type": "application/json", connection: "close" },
  });
}

/** The loopback HTTP server behind the front; it answers only connections the front made. */
function innerServer(
  handler: GuardedHandler,
  table: ConnectionTable,
  signal: AbortSignal,
  onError?: (error: unknown) => void,
) {
  const serve: Deno.ServeTcpOptions = { hostname: "127.0.0.1", port: 0, signal, onListen() {} };
  if (onError) {
    serve.onError = (error) => {
      onError(error);
      return new Response("Internal error\n", { status: 500 });
    };
  }
  return Deno.serve(serve, async (
    request,
    info,
  ) => {
    const conn = table.byInnerPort(info.remoteAddr.port);
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
      if (unreadBody) table.finish(conn);
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
}

/** Serves `handler` over HTTPS behind the connection guard. */
export function serveGuarded(
  handler: GuardedHandler,
  options: GuardedServeOptions,
): GuardedServer {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const table = new ConnectionTable(limits);
  const innerStop = new AbortController();
  const inner = innerServer(handler, table, innerStop.signal, options.onError);
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const addr = listener.addr as Deno.NetAddr;
  const tlsListener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: options.certPem,
    key: options.keyPem,
    alpnProtocols: ["h2", "http/1.1"],
  });
  const tlsPort = (tlsListener.addr as Deno.NetAddr).port;

  // Admitted TCP connection: nothing is spent on it until its first bytes (the ClientHello)
  // arrive; then it is relayed to the loopback TLS listener. The handshake timeout runs from
  // the accept (its timer is cleared once the TLS side is relayed to the inner server).
  const serve = async (conn: GuardedConn) => {
    conn.handshakeTimer = setTimeout(() => {
      table.stats.timedOut.handshake++;
      table.close(conn);
    }, limits.handshakeTimeoutMs);
    try {
      const first = new Uint8Array(2048);
      const n = await conn.tcp.read(first);
      if (n === null || !conn.open) return table.close(conn);
      const front = await Deno.connect({ hostname: "127.0.0.1", port: tlsPort });
      table.fronted(conn, front);
      await writeAll(front, first.subarray(0, n));
    } catch {
      table.close(conn);
      return;
    }
    table.relayFront(conn);
  };

  // The loopback TLS side of a fronted connection: handshake, then relay to the inner server.
  const terminate = async (tls: Deno.TlsConn) => {
    const conn = await table.byFrontPort((tls.remoteAddr as Deno.NetAddr).port);
    if (!conn || !conn.open) {
      tls.close();
      return;
    }
    conn.tls = tls;
    try {
      conn.alpn = (await tls.handshake()).alpnProtocol;
      if (!conn.open) return;
      table.relayed(conn, await Deno.connect({ hostname: "127.0.0.1", port: inner.addr.port }));
    } catch {
      table.close(conn);
      return;
    } finally {
      clearTimeout(conn.handshakeTimer);
    }
    table.relayInner(conn);
  };
  const terminating = (async () => {
    while (true) {
      try {
        void terminate(await tlsListener.accept());
      } catch {
        return;
      }
    }
  })();

  const sweep = setInterval(
    () => table.sweep(),
    Math.max(50, Math.min(1_000, limits.headerTimeoutMs / 4, limits.idleTimeoutMs / 4)),
  );

  const accepting = (async () => {
    while (true) {
      let tcp: Deno.Conn;
      try {
        tcp = await listener.accept();
      } catch {
        return;
      }
      const conn = table.admit(tcp);
      if (conn) void serve(conn);
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
      table.closeAll();
      try {
        tlsListener.close();
      } catch { /* closed */ }
      await terminating;
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
    stats: () => ({ ...table.stats, timedOut: { ...table.stats.timedOut } }),
    shutdown,
  };
}
