/**
 * Per-client token buckets for the cell's inbound endpoints. Memory is bounded: the
 * least recently seen clients are forgotten first (a forgotten client starts full, which
 * only matters to clients that have been quiet for a long while).
 */

/** Options for {@linkcode RateLimiter}. */
export interface RateLimiterOptions {
  /** Requests a client may make at once; default 10. */
  burst?: number;
  /** Sustained requests per minute per client; default 10. */
  perMinute?: number;
  /** Clients remembered at most; default 10 000. */
  maxClients?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/** The answer of {@linkcode RateLimiter.take}. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** A token-bucket rate limiter keyed by client. */
export class RateLimiter {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimiterOptions = {}) {
    this.#burst = options.burst ?? 10;
    this.#perMs = (options.perMinute ?? 10) / 60_000;
    this.#max = options.maxClients ?? 10_000;
    this.#now = options.now ?? (() => Date.now());
  }

  /** Whether `client` could take a request now, without taking it. */
  peek(client: string): RateDecision {
    const bucket = this.#buckets.get(client);
    if (!bucket) return { allowed: true };
    const tokens = Math.min(this.#burst, bucket.tokens + (this.#now() - bucket.at) * this.#perMs);
    if (tokens >= 1) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.ceil((1 - tokens) / this.#perMs / 1000) };
  }

  /** Takes one request from `client`'s bucket. */
  take(client: string): RateDecision {
    const now = this.#now();
    const bucket = this.#buckets.get(client) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    // Re-insert so Map order is least-recently-seen first.
    this.#buckets.delete(client);
    this.#buckets.set(client, bucket);
    if (this.#buckets.size > this.#max) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.ceil((1 - bucket.tokens) / this.#perMs / 1000),
    };
  }
}
