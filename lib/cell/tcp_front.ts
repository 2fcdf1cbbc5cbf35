/**
 * A TCP front for the cell's agent (gRPC) port: grpc-js has no connection cap, no rate of
 * new connections and no handshake timeout, and a TLS socket closed before its handshake
 * is not freed under Deno (see guard_connections.ts). So the public port is accepted here
 * as plain TCP — admitted or refused (tarpit) before any TLS work — and relayed byte for
 * byte to the gRPC server on loopback; TLS stays end to end between agent and server.
 *
 * - connections: at most `maxConnections` in total and `maxConnectionsPerClient` per
 *   client address, and a per-address rate of new connections;
 * - establishing: a connection must open its gRPC stream (mTLS handshake done, HTTP/2 up,
 *   the call started) within `establishTimeoutMs`, else it is closed — half-open and idle
 *   connections cannot pile up. The server tells the front with {@linkcode TcpFront.established}.
 */
import { RateLimiter, type RateLimiterOptions } from "./webhook_rate_limit.ts";

/** Bounds of the agent port; every field has a default. */
export interface AgentPortLimits {
  /** Connections open at once, all clients; default 4096. */
  maxConnections?: number;
  /** Connections open at once per client address; default 256 (agents behind one NAT). */
  maxConnectionsPerClient?: number;
  /** New connections per client address; default bursts of 100, 10 a second. */
  connectionRate?: RateLimiterOptions;
  /** Time from accept to the first gRPC call on the connection; default 10 s. */
  establishTimeoutMs?: number;
  /** How long a refused connection is held before it is closed; default 1 s (0: at once). */
  tarpitMs?: number;
  /** Refused connections held at once; default 256. */
  tarpitMax?: number;
}

/** Defaults of {@linkcode AgentPortLimits}. */
export const DEFAULT_AGENT_PORT_LIMITS: Readonly<Required<AgentPortLimits>> = {
  maxConnections: 4096,
  maxConnectionsPerClient: 256,
  connectionRate: { burst: 100, perMinute: 600 },
  establishTimeoutMs: 10_000,
  tarpitMs: 1_000,
  tarpitMax: 256,
};

/** Counters of a {@linkcode TcpFront}. */
export interface TcpFrontStats {
  open: number;
  refused: number;
  timedOut: number;
}

/** A running TCP front. */
export interface TcpFront {
  readonly addr: Deno.NetAddr;
  /** Marks the relay connection whose loopback peer is `peer` ("host:port") as established. */
  established(peer: string): void;
  /** The real client address behind a loopback peer ("host:port"), if relayed here. */
  clientOf(peer: string): string | undefined;
  stats(): TcpFrontStats;
  shutdown(): Promise<void>;
}

interface Relay {
  client: string;
  outer: Deno.Conn;
  inner?: Deno.Conn;
  timer?: ReturnType<typeof setTimeout>;
  open: boolean;
}

function closeQuietly(conn: Deno.Conn | undefined): void {
  try {
    conn?.close();
  } catch { /* closed */ }
}

async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(32 * 1024);
  while (true) {
    const n = await from.read(buffer);
    if (n === null) return;
    let at = 0;
    while (at < n) at += await to.write(buffer.subarray(at, n));
  }
}

/** Serves `hostname:port`, relaying admitted connections to `127.0.0.1:targetPort`. */
export function serveTcpFront(options: {
  hostname: string;
  port: number;
  targetPort: number;
  limits?: AgentPortLimits;
}): TcpFront {
  const limits = { ...DEFAULT_AGENT_PORT_LIMITS, ...options.limits };
  const stats: TcpFrontStats = { open: 0, refused: 0, timedOut: 0 };
  const all = new Set<Relay>();
  const perClient = new Map<string, number>();
  const byLocalPort = new Map<number, Relay>();
  const tarpit = new Map<Deno.Conn, ReturnType<typeof setTimeout>>();
  const rate = new RateLimiter(limits.connectionRate);
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });

  const close = (relay: Relay) => {
    if (!relay.open) return;
    relay.open = false;
    clearTimeout(relay.timer);
    all.delete(relay);
    stats.open = all.size;
    const left = (perClient.get(relay.client) ?? 1) - 1;
    if (left <= 0) perClient.delete(relay.client);
    else perClient.set(relay.client, left);
    if (relay.inner) byLocalPort.delete((relay.inner.localAddr as Deno.NetAddr).port);
    closeQuietly(relay.outer);
    closeQuietly(relay.inner);
  };

  const refuse = (conn: Deno.Conn) => {
    stats.refused++;
    if (limits.tarpitMs <= 0 || tarpit.size >= limits.tarpitMax) return closeQuietly(conn);
    tarpit.set(
      conn,
      setTimeout(() => {
        tarpit.delete(conn);
        closeQuietly(conn);
      }, limits.tarpitMs),
    );
  };

  const relay = async (entry: Relay) => {
    entry.timer = setTimeout(() => {
      stats.timedOut++;
      close(entry);
    }, limits.establishTimeoutMs);
    try {
      entry.inner = await Deno.connect({ hostname: "127.0.0.1", port: options.targetPort });
      byLocalPort.set((entry.inner.localAddr as Deno.NetAddr).port, entry);
      if (!entry.open) return closeQuietly(entry.inner);
      await Promise.race([copy(entry.outer, entry.inner), copy(entry.inner, entry.outer)]);
    } catch {
      // Reset on either side: the connection is over.
    } finally {
      close(entry);
    }
  };

  const accepting = (async () => {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      const client = (conn.remoteAddr as Deno.NetAddr).hostname;
      const count = perClient.get(client) ?? 0;
      if (
        all.size >= limits.maxConnections || count >= limits.maxConnectionsPerClient ||
        !rate.take(client).allowed
      ) {
        refuse(conn);
        continue;
      }
      const entry: Relay = { client, outer: conn, open: true };
      all.add(entry);
      perClient.set(client, count + 1);
      stats.open = all.size;
      void relay(entry);
    }
  })();

  const portOf = (peer: string) => Number(peer.slice(peer.lastIndexOf(":") + 1));
  let stopping: Promise<void> | undefined;
  return {
    addr: listener.addr as Deno.NetAddr,
    established(peer) {
      const entry = byLocalPort.get(portOf(peer));
      if (entry) clearTimeout(entry.timer);
    },
    clientOf: (peer) => byLocalPort.get(portOf(peer))?.client,
    stats: () => ({ ...stats }),
    shutdown() {
      stopping ??= (async () => {
        try {
          listener.close();
        } catch { /* closed */ }
        await accepting;
        for (const entry of [...all]) close(entry);
        for (const [conn, timer] of tarpit) {
          clearTimeout(timer);
          closeQuietly(conn);
        }
        tarpit.clear();
      })();
      return stopping;
    },
  };
}
