/**
 * Pacing what clients upload through the HTTPS front: each client address has its own
 * byte allowance (`perClient` a second, one second's worth as burst) and the heavy
 * uploaders together share a total allowance (`total` a second). A client that sent less
 * than {@linkcode UNPACED_BYTES} in the last second (request heads, small bodies) is never
 * held by the total, so requests of ordinary clients do not queue behind uploads.
 * Waiting is what paces: the front stops reading, TCP pushes back on the client.
 */

/** Bytes a client may send in a second without taking from the shared allowance. */
export const UNPACED_BYTES = 1 << 20;

interface Bucket {
  tokens: number;
  at: number;
}

/** Per-client and total upload allowances. */
export class UploadPacer {
  readonly #perClient: number;
  readonly #total: number;
  readonly #now: () => number;
  readonly #clients = new Map<string, Bucket>();
  readonly #shared: Bucket;

  constructor(perClient: number, total: number, now: () => number = Date.now) {
    this.#perClient = perClient;
    this.#total = total;
    this.#now = now;
    this.#shared = { tokens: total, at: now() };
  }

  /** Ms `client` must wait after sending `bytes` (0 when within its allowances). */
  take(client: string, bytes: number): number {
    const now = this.#now();
    let bucket = this.#clients.get(client);
    if (!bucket) {
      // Bounded memory: forgetting everyone only hands out fresh allowances.
      if (this.#clients.size >= 10_000) this.#clients.clear();
      bucket = { tokens: this.#perClient, at: now };
      this.#clients.set(client, bucket);
    }
    refill(bucket, now, this.#perClient);
    bucket.tokens -= bytes;
    let wait = bucket.tokens < 0 ? -bucket.tokens / (this.#perClient / 1000) : 0;
    if (bucket.tokens < this.#perClient - UNPACED_BYTES) {
      refill(this.#shared, now, this.#total);
      this.#shared.tokens -= bytes;
      if (this.#shared.tokens < 0) {
        wait = Math.max(wait, -this.#shared.tokens / (this.#total / 1000));
      }
    }
    return wait;
  }

  /** Waits as long as {@linkcode take} says. */
  async pace(client: string, bytes: number): Promise<void> {
    const wait = this.take(client, bytes);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

function refill(bucket: Bucket, now: number, perSecond: number): void {
  bucket.tokens = Math.min(perSecond, bucket.tokens + (now - bucket.at) * perSecond / 1000);
  bucket.at = now;
}
