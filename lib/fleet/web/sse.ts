/**
 * Server-sent events of the fleet page: each connection gets a `snapshot` event, then a
 * `delta` event per batch of changes (every `batchMs` at most), filtered by what its caller
 * may see, and a comment every 15 s so proxies keep it open. Connections are bounded in
 * number (in total and per user) and in lifetime (the page reconnects, so a revoked token
 * stops working); a client that does not read is dropped once `maxQueuedBytes` wait.
 */
import type { FleetState } from "../state.ts";
import { type FleetDelta, type FleetRow, type FleetSnapshot, rowOf } from "../view.ts";
import type { Visibility } from "./access.ts";

/** Limits of {@linkcode FleetEventHub}. */
export interface SseLimits {
  /** Open streams in total; default 64. */
  maxConnections: number;
  /** Open streams per user; default 8. */
  maxPerUser: number;
  /** A stream ends after this long (the page reconnects); default 15 min. */
  maxLifetimeMs: number;
  /** Least time between two delta events; default 100 ms. */
  batchMs: number;
  /** Unread bytes after which a slow client is dropped; default 32 MiB. */
  maxQueuedBytes: number;
}

/** The defaults of {@linkcode SseLimits}. */
export const DEFAULT_SSE_LIMITS: SseLimits = {
  maxConnections: 64,
  maxPerUser: 8,
  maxLifetimeMs: 15 * 60_000,
  batchMs: 100,
  maxQueuedBytes: 32 << 20,
};

interface Client {
  user: string;
  visibility: Visibility;
  controller: ReadableStreamDefaultController<Uint8Array>;
  close: () => void;
}

const encoder = new TextEncoder();

/** The visible rows of `state` for `visibility` (reviewing the names first). */
export async function visibleSnapshot(
  state: FleetState,
  visibility: Visibility,
): Promise<FleetSnapshot> {
  const entries = state.entries();
  await visibility.review(entries.map((e) => e.name));
  const clusters: FleetRow[] = [];
  for (const e of entries) if (visibility.sees(e.name)) clusters.push(rowOf(e));
  return {
    cell: state.self,
    at: Date.now(),
    clusters,
    truncated: state.truncated,
    hidden: entries.length - clusters.length,
  };
}

/** See the module doc. */
export class FleetEventHub {
  readonly #state: FleetState;
  readonly #limits: SseLimits;
  readonly #clients = new Set<Client>();
  readonly #dirty = new Set<string>();
  readonly #unsubscribe: () => void;
  #timer?: ReturnType<typeof setTimeout>;
  readonly #ping: ReturnType<typeof setInterval>;

  constructor(state: FleetState, limits: Partial<SseLimits> = {}) {
    this.#state = state;
    this.#limits = { ...DEFAULT_SSE_LIMITS, ...limits };
    this.#unsubscribe = state.subscribe((names) => {
      if (this.#clients.size === 0) return;
      for (const n of names) this.#dirty.add(n);
      this.#timer ??= setTimeout(() => this.#flush(), this.#limits.batchMs);
    });
    this.#ping = setInterval(() => this.#broadcast(": ping\n\n"), 15_000);
  }

  /** Open streams now. */
  get connections(): number {
    return this.#clients.size;
  }

  /** Why a new stream for `user` is refused now, or undefined. */
  refusal(user: string): string | undefined {
    if (this.#clients.size >= this.#limits.maxConnections) {
      return `Too many fleet streams (${this.#limits.maxConnections}); retry later`;
    }
    let mine = 0;
    for (const c of this.#clients) if (c.user === user) mine++;
    if (mine >= this.#limits.maxPerUser) {
      return `Too many fleet streams for ${user} (${this.#limits.maxPerUser}); close a page`;
    }
    return undefined;
  }

  /**
   * A new stream. A client that goes away cancels the body, which ends it here (the
   * request's signal is not used: Deno.serve aborts it once a response has started).
   */
  async open(user: string, visibility: Visibility): Promise<Response> {
    const snapshot = await visibleSnapshot(this.#state, visibility);
    let client: Client | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let lifetime: ReturnType<typeof setTimeout> | undefined = undefined;
        const close = () => {
          if (!client || !this.#clients.delete(client)) return;
          clearTimeout(lifetime);
          try {
            controller.close();
          } catch { /* already closed */ }
        };
        client = { user, visibility, controller, close };
        this.#clients.add(client);
        lifetime = setTimeout(close, this.#limits.maxLifetimeMs);
        this.#write(client, `retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
      },
      cancel: () => client?.close(),
    }, new ByteLengthQueuingStrategy({ highWaterMark: 64 << 10 }));
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  /** Ends every stream and stops listening. */
  close(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#ping);
    this.#unsubscribe();
    for (const c of [...this.#clients]) c.close();
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    const names = [...this.#dirty];
    this.#dirty.clear();
    const rows = new Map<string, FleetRow | undefined>();
    for (const n of names) {
      const e = this.#state.get(n);
      rows.set(n, e ? rowOf(e) : undefined);
    }
    const at = Date.now();
    const truncated = this.#state.truncated;
    for (const client of [...this.#clients]) {
      await client.visibility.review(names);
      const delta: FleetDelta = { at, upserts: [], removals: [], truncated };
      for (const [n, row] of rows) {
        if (row && client.visibility.sees(n)) delta.upserts.push(row);
        else delta.removals.push(n);
      }
      this.#write(client, `event: delta\ndata: ${JSON.stringify(delta)}\n\n`);
    }
  }

  #broadcast(text: string): void {
    for (const c of [...this.#clients]) this.#write(c, text);
  }

  #write(client: Client, text: string): void {
    const bytes = encoder.encode(text);
    // desiredSize goes negative by the bytes the client has not read yet.
    if (-(client.controller.desiredSize ?? 0) > this.#limits.maxQueuedBytes) {
      client.close();
      return;
    }
    try {
      client.controller.enqueue(bytes);
    } catch {
      client.close();
    }
  }
}
