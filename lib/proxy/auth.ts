/**
 * Authentication and authorization of proxy callers, both delegated to the cell's own
 * apiserver: a bearer token is checked with a TokenReview, the right to reach a cluster with
 * a SubjectAccessReview of verb `proxy` on `latticeclusters.lattice.dev` named after it.
 * Answers are cached briefly (keyed by the token's SHA-256, never the token) so a burst of
 * kubectl requests costs one review, not one per request.
 */
import type { KubeClient } from "../kube/mod.ts";
import type { Identity } from "./identity.ts";

/** Authenticates a bearer token; undefined when the token is not valid. */
export interface Authenticator {
  authenticate(token: string): Promise<Identity | undefined>;
}

/** The authorizer's verdict. */
export interface Decision {
  allowed: boolean;
  reason?: string;
}

/** Decides whether `identity` may proxy to `cluster`. */
export interface Authorizer {
  authorize(identity: Identity, cluster: string): Promise<Decision>;
}

/** The API group, resource and verb the cell checks (documented in docs/proxy.md). */
export const PROXY_PERMISSION = {
  group: "lattice.dev",
  resource: "latticeclusters",
  verb: "proxy",
} as const;

/** Options for the cached reviewers. */
export interface ReviewCacheOptions {
  /** How long an answer is reused; default 10 s (0 disables the cache). */
  ttlMs?: number;
  /** Clock in epoch ms, for tests. */
  now?: () => number;
  /** Entries kept at most; the cache is emptied when it would grow past it. Default 10,000. */
  maxEntries?: number;
  /**
   * How long a refusal (token not valid) is reused; default 10 s. Refusals are kept apart
   * from answers that authenticate, so a flood of bad tokens never evicts good ones.
   */
  negativeTtlMs?: number;
}

class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #max: number;

  constructor(options: ReviewCacheOptions) {
    this.#ttl = options.ttlMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#max = options.maxEntries ?? 10_000;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Whether `key`'s answer is past half its life: it is still served, and refreshed in the
   * background, so an active caller never waits for a review (nor does one under load).
   */
  aging(key: string): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.expires - this.#now() < this.#ttl / 2;
  }

  set(key: string, value: V): void {
    if (this.#ttl <= 0) return;
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(key, { value, expires: this.#now() + this.#ttl });
  }
}

/** Runs `fn` once per key at a time: concurrent callers with the same key share its answer. */
function singleFlight<V>(
  pending: Map<string, Promise<V>>,
  key: string,
  fn: () => Promise<V>,
): Promise<V> {
  let running = pending.get(key);
  if (!running) {
    running = fn().finally(() => pending.delete(key));
    pending.set(key, running);
  }
  return running;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

interface TokenReviewStatus {
  status?: {
    authenticated?: boolean;
    user?: { username?: string; groups?: string[] };
  };
}

/** An {@linkcode Authenticator} that asks the cell's apiserver with a TokenReview. */
export function tokenReviewAuthenticator(
  client: KubeClient,
  options: ReviewCacheOptions = {},
): Authenticator {
  const cache = new TtlCache<Identity>(options);
  const refused = new TtlCache<true>({ ...options, ttlMs: options.negativeTtlMs ?? 10_000 });
  const pending = new Map<string, Promise<Identity | null>>();
  const ask = async (token: string, key: string): Promise<Identity | null> => {
    const review = await client.request<TokenReviewStatus>({
      method: "POST",
      path: "/apis/authentication.k8s.io/v1/tokenreviews",
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenReview",
        spec: { token },
      },
    }).catch((cause) => {
      throw new Error("Cannot authenticate: the TokenReview failed", { cause });
    });
    const user = review.status?.user;
    const identity = review.status?.authenticated && user?.username
      ? { user: user.username, groups: user.groups ?? [] }
      : null;
    if (identity) cache.set(key, identity);
    else refused.set(key, true);
    return identity;
  };
  return {
    async authenticate(token) {
      const key = await sha256Hex(token);
      const cached = cache.get(key);
      if (cached) {
        if (cache.aging(key)) {
          void singleFlight(pending, key, () => ask(token, key)).catch(() => {});
        }
        return cached;
      }
      if (refused.get(key)) return undefined;
      return (await singleFlight(pending, key, () => ask(token, key))) ?? undefined;
    },
  };
}

interface AccessReviewStatus {
  status?: { allowed?: boolean; reason?: string };
}

/** An {@linkcode Authorizer} that asks the cell's apiserver with a SubjectAccessReview. */
export function subjectAccessReviewAuthorizer(
  client: KubeClient,
  options: ReviewCacheOptions = {},
): Authorizer {
  const cache = new TtlCache<Decision>(options);
  const pending = new Map<string, Promise<Decision>>();
  const ask = async (identity: Identity, cluster: string, key: string): Promise<Decision> => {
    const review = await client.request<AccessReviewStatus>({
      method: "POST",
      path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: identity.user,
          groups: identity.groups,
          resourceAttributes: { ...PROXY_PERMISSION, name: cluster },
        },
      },
    }).catch((cause) => {
      throw new Error("Cannot authorize: the SubjectAccessReview failed", { cause });
    });
    const decision = { allowed: review.status?.allowed === true, reason: review.status?.reason };
    cache.set(key, decision);
    return decision;
  };
  return {
    authorize(identity, cluster) {
      const key = JSON.stringify([identity.user, identity.groups, cluster]);
      const cached = cache.get(key);
      if (cached) {
        if (cache.aging(key)) {
          void singleFlight(pending, key, () => ask(identity, cluster, key)).catch(() => {});
        }
        return Promise.resolve(cached);
      }
      return singleFlight(pending, key, () => ask(identity, cluster, key));
    },
  };
}
