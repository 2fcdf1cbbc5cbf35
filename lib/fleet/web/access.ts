/**
 * Who may see what on the fleet page: the caller is authenticated like a proxy caller
 * (bearer token → TokenReview on the cell's apiserver, the proxy's own authenticator) and
 * sees a cluster when the cell's RBAC allows verb `get` on `latticeclusters.lattice.dev`
 * named after it (SubjectAccessReview). One review without a name answers "all of them"
 * for the common case (a ClusterRole without resourceNames); otherwise each name is
 * reviewed, cached for `ttlMs`, and at most `maxNamedReviews` per request.
 */
import type { KubeClient } from "../../kube/mod.ts";
import type { Authenticator } from "../../proxy/auth.ts";
import type { Identity } from "../../proxy/identity.ts";

/** The permission the page checks (docs/fleet_view.md). */
export const VIEW_PERMISSION = {
  group: "lattice.dev",
  resource: "latticeclusters",
  verb: "get",
} as const;

/** Decides what `identity` may see. */
export interface ViewAuthorizer {
  /** Whether `identity` may see `name`; with no name, every cluster. */
  allowed(identity: Identity, name?: string): Promise<boolean>;
}

/** A {@linkcode ViewAuthorizer} asking the cell's apiserver, cached per identity and name. */
export function accessReviewViewAuthorizer(
  client: KubeClient,
  options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
): ViewAuthorizer {
  const ttl = options.ttlMs ?? 30_000;
  const max = options.maxEntries ?? 50_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { allowed: Promise<boolean>; expires: number }>();
  return {
    allowed(identity, name) {
      const key = JSON.stringify([identity.user, identity.groups, name ?? ""]);
      const hit = cache.get(key);
      if (hit && hit.expires > now()) return hit.allowed;
      if (cache.size >= max) cache.clear();
      const allowed = client.request<{ status?: { allowed?: boolean } }>({
        method: "POST",
        path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user: identity.user,
            groups: identity.groups,
            resourceAttributes: { ...VIEW_PERMISSION, ...(name ? { name } : {}) },
          },
        },
      }).then((r) => r.status?.allowed === true);
      // A failed review is not remembered.
      allowed.catch(() => cache.delete(key));
      cache.set(key, { allowed, expires: now() + ttl });
      return allowed;
    },
  };
}

/** What one caller may see: every cluster, or the names reviewed so far. */
export class Visibility {
  readonly #authorizer: ViewAuthorizer;
  readonly #identity: Identity;
  readonly #maxNamed: number;
  #all = false;
  readonly #names = new Map<string, boolean>();

  private constructor(authorizer: ViewAuthorizer, identity: Identity, maxNamed: number) {
    this.#authorizer = authorizer;
    this.#identity = identity;
    this.#maxNamed = maxNamed;
  }

  /** Reviews `identity`'s access once for everything. */
  static async of(
    authorizer: ViewAuthorizer,
    identity: Identity,
    maxNamedReviews = 2_000,
  ): Promise<Visibility> {
    const v = new Visibility(authorizer, identity, maxNamedReviews);
    v.#all = await authorizer.allowed(identity);
    return v;
  }

  /** Whether the caller sees every cluster. */
  get all(): boolean {
    return this.#all;
  }

  /** Whether `name` is visible, as far as reviewed ({@linkcode review} first). */
  sees(name: string): boolean {
    return this.#all || this.#names.get(name) === true;
  }

  /** Reviews names not reviewed yet (bounded); a failed review hides the name. */
  async review(names: Iterable<string>): Promise<void> {
    if (this.#all) return;
    const todo = [...names].filter((n) => !this.#names.has(n));
    // Names beyond the bound stay unreviewed (hidden) and are not remembered either.
    const room = Math.max(0, this.#maxNamed - this.#names.size);
    const batch = todo.slice(0, room);
    for (let i = 0; i < batch.length; i += 16) {
      await Promise.all(
        batch.slice(i, i + 16).map(async (n) => {
          const ok = await this.#authorizer.allowed(this.#identity, n).catch(() => false);
          this.#names.set(n, ok);
        }),
      );
    }
  }
}

/** The caller of a request, or why not. */
export type Caller = { identity: Identity } | { status: 401 | 503; message: string };

/** Authenticates the bearer token of `request` (the page sends it on every call). */
export async function callerOf(request: Request, authn: Authenticator): Promise<Caller> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  if (!match) return { status: 401, message: "Unauthorized: a bearer token is required" };
  try {
    const identity = await authn.authenticate(match[1]);
    return identity
      ? { identity }
      : { status: 401, message: "Unauthorized: the token is not valid" };
  } catch {
    return { status: 503, message: "Cannot authenticate: the token review failed" };
  }
}
