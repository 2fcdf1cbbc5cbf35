/**
 * The connections of the HTTPS front (https_guard.ts): admission before the TLS handshake
 * (caps and a per-address rate, refusals held briefly in a tarpit), the relay between a
 * client's TLS connection and the inner HTTP server, and the sweep that enforces the
 * header and idle timeouts.
 */
import type { ConnectionLimits, GuardStats } from "./guard_limits.ts";
import { UploadPacer } from "./guard_upload.ts";
import { RateLimiter } from "./webhook_rate_limit.ts";

/** One client connection, from accept to close. */
export interface GuardedConn {
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
}

const CHUNK = 16 * 1024;

async function writeAll(to: Deno.Conn, bytes: Uint8Array): Promise<void> {
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
  admit(tls: Deno.TlsConn): GuardedConn | undefined {
    const remote = tls.remoteAddr as Deno.NetAddr;
    const client = remote.hostname;
    const count = this.#perClient.get(client) ?? 0;
    if (
      this.#all.size >= this.#limits.maxConnections ||
      count >= this.#limits.maxConnectionsPerClient || !this.#rate.take(client).allowed
    ) {
      this.stats.refused++;
      this.#refuse(tls);
      return undefined;
    }
    const conn: GuardedConn = {
      client,
      remote,
      tls,
      open: true,
      inFlight: 0,
      idleSince: Date.now(),
    };
    this.#all.add(conn);
    this.#perClient.set(client, count + 1);
    this.stats.open = this.#all.size;
    return conn;
  }

  #refuse(tls: Deno.TlsConn): void {
    if (this.#limits.tarpitMs <= 0 || this.#tarpit.size >= this.#limits.tarpitMax) {
      closeQuietly(tls);
      return;
    }
    this.#tarpit.set(
      tls,
      setTimeout(() => {
        this.#tarpit.delete(tls);
        closeQuietly(tls);
      }, this.#limits.tarpitMs),
    );
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
    this.#all.delete(conn);
    this.stats.open = this.#all.size;
    const left = (this.#perClient.get(conn.client) ?? 1) - 1;
    if (left <= 0) this.#perClient.delete(conn.client);
    else this.#perClient.set(conn.client, left);
    if (conn.innerPort !== undefined) this.#byInnerPort.delete(conn.innerPort);
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

  /** Relays bytes both ways until either side ends. */
  relay(conn: GuardedConn): void {
    if (!conn.inner) return;
    conn.idleSince = Date.now();
    void this.#pump(conn, conn.tls, conn.inner, true);
    void this.#pump(conn, conn.inner, conn.tls, false);
  }

  async #pump(conn: GuardedConn, from: Deno.Conn, to: Deno.Conn, fromClient: boolean) {
    const buffer = new Uint8Array(CHUNK);
    try {
      while (conn.open) {
        const n = await from.read(buffer);
        if (n === null) break;
        // A finishing connection relays nothing more from the client.
        if (fromClient && conn.finishing) break;
        if (fromClient && conn.inFlight === 0) conn.pendingSince ??= Date.now();
        if (fromClient) await this.#uploads.pace(conn.client, n);
        await writeAll(to, buffer.subarray(0, n));
      }
    } catch {
      // Reset or closed by the other pump: either way the connection is over.
    } finally {
      // The client-side pump of a finishing connection leaves the other to drain the answer.
      if (!(fromClient && conn.finishing)) this.close(conn);
    }
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
    for (const conn of [...this.#all]) this.close(conn);
    for (const [held, timer] of this.#tarpit) {
      clearTimeout(timer);
      closeQuietly(held);
    }
    this.#tarpit.clear();
  }
}
