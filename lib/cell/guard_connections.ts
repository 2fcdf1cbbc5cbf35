/**
 * The connections of the HTTPS front (https_guard.ts): admission of a client's TCP
 * connection before any TLS work (caps and a per-address rate, refusals held briefly in a
 * tarpit), the relays (client TCP ⇄ loopback TLS listener, and TLS ⇄ inner HTTP server), and
 * the sweep that enforces the header and idle timeouts.
 *
 * Why TCP first: a `Deno.TlsConn` closed before its handshake completes keeps its socket
 * open until the peer sends or closes (checked on Deno 2.9), so refusing or timing out a
 * half-open TLS connection freed nothing. A plain `Deno.Conn` closes at once; closing the
 * client's TCP connection also ends the loopback TLS connection relayed from it.
 */
import type { ConnectionLimits, GuardStats } from "./guard_limits.ts";
import { UploadPacer } from "./guard_upload.ts";
import { RateLimiter } from "./webhook_rate_limit.ts";

/** One client connection, from accept to close. */
export interface GuardedConn {
  client: string;
  remote: Deno.NetAddr;
  /** The client's TCP connection (encrypted bytes). */
  tcp: Deno.Conn;
  /** The relay of `tcp` to the loopback TLS listener, and its local port. */
  front?: Deno.Conn;
  frontPort?: number;
  /** The loopback TLS listener's side of `front`. */
  tls?: Deno.TlsConn;
  /** The relay of the decrypted bytes to the inner HTTP server. */
  inner?: Deno.Conn;
  innerPort?: number;
  /** Closes the connection if its TLS handshake has not finished in time. */
  handshakeTimer?: ReturnType<typeof setTimeout>;
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
const FIRST_CHUNK = 2 * 1024;

/** Writes all of `bytes` to `to`. */
export async function writeAll(to: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await to.write(bytes.subarray(at));
}

function closeQuietly(conn: Deno.Conn | undefined): void {
  try {
    conn?.close();
  } catch { /* already closed */ }
}

/** Every open connection of one guarded server, and what may be done to them. */
export class ConnectionTable {
  readonly stats: GuardStats = {
    open: 0,
    refused: 0,
    timedOut: { handshake: 0, header: 0, idle: 0 },
  };
  readonly #limits: Readonly<Required<ConnectionLimits>>;
  readonly #all = new Set<GuardedConn>();
  readonly #perClient = new Map<string, number>();
  readonly #byInnerPort = new Map<number, GuardedConn>();
  readonly #byFrontPort = new Map<number, GuardedConn>();
  // The loopback TLS listener may accept before `fronted` ran: it waits here for it.
  readonly #frontWaiters = new Map<number, (conn: GuardedConn | undefined) => void>();
  readonly #rate: RateLimiter;
  readonly #uploads: UploadPacer;
  readonly #tarpit = new Map<Deno.Conn, ReturnType<typeof setTimeout>>();

  constructor(limits: Readonly<Required<ConnectionLimits>>) {
    this.#limits = limits;
    this.#rate = new RateLimiter(limits.connectionRate);
    this.#uploads = new UploadPacer(
      limits.uploadBytesPerSecond,
      Math.max(limits.uploadBytesPerSecond, limits.totalUploadBytesPerSecond),
    );
  }

  /**
   * Admits a just-accepted connection (before its handshake) or refuses it: over a cap or
   * the address's connection rate, it is held unread in the tarpit for `tarpitMs` (while
   * there is room) and closed, so a client that retries at once is slowed to the tarpit's
   * pace instead of spinning the accept loop.
   */
  admit(tcp: Deno.Conn): GuardedConn | undefined {
    const remote = tcp.remoteAddr as Deno.NetAddr;
    const client = remote.hostname;
    const count = this.#perClient.get(client) ?? 0;
    if (
      this.#all.size >= this.#limits.maxConnections ||
      count >= this.#limits.maxConnectionsPerClient || !this.#rate.take(client).allowed
    ) {
      this.stats.refused++;
      this.#refuse(tcp);
      return undefined;
    }
    const conn: GuardedConn = {
      client,
      remote,
      tcp,
      open: true,
      inFlight: 0,
      idleSince: Date.now(),
    };
    this.#all.add(conn);
    this.#perClient.set(client, count + 1);
    this.stats.open = this.#all.size;
    return conn;
  }

  #refuse(tcp: Deno.Conn): void {
    if (this.#limits.tarpitMs <= 0 || this.#tarpit.size >= this.#limits.tarpitMax) {
      closeQuietly(tcp);
      return;
    }
    this.#tarpit.set(
      tcp,
      setTimeout(() => {
        this.#tarpit.delete(tcp);
        closeQuietly(tcp);
      }, this.#limits.tarpitMs),
    );
  }

  /** Records the relay of `conn`'s TCP connection to the loopback TLS listener. */
  fronted(conn: GuardedConn, front: Deno.Conn): void {
    conn.front = front;
    conn.frontPort = (front.localAddr as Deno.NetAddr).port;
    this.#byFrontPort.set(conn.frontPort, conn);
    this.#frontWaiters.get(conn.frontPort)?.(conn);
    if (!conn.open) closeQuietly(front);
  }

  /**
   * The connection the loopback TLS listener sees coming from `port`, if this front made it
   * (waiting up to a second for the front to record it); undefined for any other.
   */
  byFrontPort(port: number): Promise<GuardedConn | undefined> {
    const known = this.#byFrontPort.get(port);
    if (known || this.#frontWaiters.has(port)) return Promise.resolve(known);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), 1_000);
      const done = (conn: GuardedConn | undefined) => {
        clearTimeout(timer);
        this.#frontWaiters.delete(port);
        resolve(conn);
      };
      this.#frontWaiters.set(port, done);
    });
  }

  /** The connection the inner server sees coming from `port`, if this front made it. */
  byInnerPort(port: number): GuardedConn | undefined {
    return this.#byInnerPort.get(port);
  }

  /** Records the relay connection of `conn` to the inner server. */
  relayed(conn: GuardedConn, inner: Deno.Conn): void {
    conn.inner = inner;
    conn.innerPort = (inner.localAddr as Deno.NetAddr).port;
    this.#byInnerPort.set(conn.innerPort, conn);
    if (!conn.open) closeQuietly(inner);
  }

  /** Closes `conn` now (both sides). */
  close(conn: GuardedConn): void {
    if (!conn.open) return;
    conn.open = false;
    clearTimeout(conn.handshakeTimer);
    this.#all.delete(conn);
    this.stats.open = this.#all.size;
    const left = (this.#perClient.get(conn.client) ?? 1) - 1;
    if (left <= 0) this.#perClient.delete(conn.client);
    else this.#perClient.set(conn.client, left);
    if (conn.innerPort !== undefined) this.#byInnerPort.delete(conn.innerPort);
    if (conn.frontPort !== undefined) this.#byFrontPort.delete(conn.frontPort);
    closeQuietly(conn.tcp);
    closeQuietly(conn.front);
    closeQuietly(conn.tls);
    closeQuietly(conn.inner);
  }

  /**
   * Ends a connection after the answer in flight: stops relaying the client's bytes and
   * ends the inner side's input, so the inner server finishes and closes; the answer is
   * relayed to the client on the way out. Forced after 5 s.
   */
  finish(conn: GuardedConn): void {
    if (!conn.open || conn.finishing) return;
    conn.finishing = true;
    conn.inner?.closeWrite().catch(() => this.close(conn));
    setTimeout(() => this.close(conn), 5_000);
  }

  /** Relays the client's encrypted bytes to and from the loopback TLS listener. */
  relayFront(conn: GuardedConn): void {
    if (!conn.front) return;
    void this.#pump(conn, conn.tcp, conn.front, "fromClient");
    void this.#pump(conn, conn.front, conn.tcp, "toClient");
  }

  /** Relays the decrypted bytes to and from the inner server. */
  relayInner(conn: GuardedConn): void {
    if (!conn.inner || !conn.tls) return;
    conn.idleSince = Date.now();
    void this.#pump(conn, conn.tls, conn.inner, "request");
    void this.#pump(conn, conn.inner, conn.tls, "answer");
  }

  /**
   * Copies `from` to `to`. An end of input is passed on (`closeWrite`), so an answer the
   * inner server sends before closing still travels the whole chain to the client; the
   * connection is closed once the client got everything (`toClient` ends), on any error,
   * and at the latest 5 s after any end.
   */
  async #pump(
    conn: GuardedConn,
    from: Deno.Conn,
    to: Deno.Conn,
    kind: "fromClient" | "toClient" | "request" | "answer",
  ) {
    // Small until the connection carries more: thousands of quiet connections cost little.
    let buffer = new Uint8Array(FIRST_CHUNK);
    const fromClient = kind === "fromClient";
    try {
      while (conn.open) {
        const held = kind === "request" ? conn.gate?.() : undefined;
        if (held) await held;
        const n = await from.read(buffer);
        if (n === null) break;
        // A finishing connection relays nothing more from the client (on either hop).
        if ((fromClient || kind === "request") && conn.finishing) return;
        // Decrypted bytes with no request in progress: a head is being sent.
        if (kind === "request" && conn.inFlight === 0) conn.pendingSince ??= Date.now();
        if (fromClient) await this.#uploads.pace(conn.client, n);
        await writeAll(to, buffer.subarray(0, n));
        if (n === buffer.length && buffer.length < CHUNK) buffer = new Uint8Array(CHUNK);
      }
    } catch {
      // Reset or closed by another pump: either way the connection is over — unless only
      // the client's side stopped on a finishing connection, whose answer is still relayed.
      if (!(conn.finishing && (fromClient || kind === "request"))) this.close(conn);
      return;
    }
    if (kind === "toClient" || !conn.open) {
      this.close(conn);
      return;
    }
    await to.closeWrite().catch(() => this.close(conn));
    Deno.unrefTimer(setTimeout(() => this.close(conn), 5_000));
  }

  /** Closes connections past their header or idle timeout. */
  sweep(now = Date.now()): void {
    for (const conn of this.#all) {
      if (!conn.inner || conn.inFlight > 0) continue;
      if (conn.pendingSince !== undefined) {
        if (now - conn.pendingSince > this.#limits.headerTimeoutMs) {
          this.stats.timedOut.header++;
          this.close(conn);
        }
      } else if (now - conn.idleSince > this.#limits.idleTimeoutMs) {
        this.stats.timedOut.idle++;
        this.close(conn);
      }
    }
  }

  /** Closes every connection, including those held in the tarpit. */
  closeAll(): void {
    for (const waiter of [...this.#frontWaiters.values()]) waiter(undefined);
    for (const conn of [...this.#all]) this.close(conn);
    for (const [held, timer] of this.#tarpit) {
      clearTimeout(timer);
      closeQuietly(held);
    }
    this.#tarpit.clear();
  }
}
