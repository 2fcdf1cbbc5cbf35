/**
 * One-time bootstrap tokens, one per child cluster. A token is 256 random bits shown once
 * when issued; only its SHA-256 is stored (through a {@linkcode TokenBackend}, so a
 * restart keeps it). Presented tokens are hashed and compared in constant time.
 *
 * A registration leases the token (issued → leased), does its work, then commits
 * (leased → used) or releases (leased → issued): a failure halfway does not burn the
 * token, and a lease left by a crash expires on its own. A used token stays bound to the
 * key it certified: the same child retrying with the same key shortly after (its join was
 * interrupted after the answer was sent) is served again; any other key is refused.
 */

/** Lifecycle of a stored token. */
export type TokenState = "issued" | "leased" | "used";

/** What the store keeps about a cluster's token (never the token itself). */
export interface TokenRecord {
  cluster: string;
  /** SHA-256 of the token, lowercase hex. */
  hash: string;
  state: TokenState;
  issuedAt: string;
  expiresAt: string;
  /** Present while leased. */
  leaseId?: string;
  leaseExpiresAt?: string;
  /** Present once used: when, and the key (SPKI SHA-256) that was certified. */
  usedAt?: string;
  keyId?: string;
}

/** A stored record and its version (for compare-and-swap). */
export interface StoredToken {
  record: TokenRecord;
  version: string;
}

/**
 * Persistence for token records with compare-and-swap: `write` with `version` undefined
 * creates, otherwise replaces only if the stored version is still `version`.
 */
export interface TokenBackend {
  read(cluster: string): Promise<StoredToken | undefined>;
  write(cluster: string, record: TokenRecord, version?: string): Promise<"ok" | "conflict">;
  remove(cluster: string): Promise<void>;
}

/** A token as issued: the only moment the plaintext exists. */
export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Why a token was refused. */
export type TokenRefusal = "unknown" | "mismatch" | "used" | "expired" | "busy";

/** A held lease, to commit or release. */
export interface TokenLease {
  cluster: string;
  leaseId: string;
  keyId: string;
  /** True when this serves a retry of an already used token with the same key. */
  rebind: boolean;
}

/** The outcome of {@linkcode BootstrapTokens.lease}. */
export type LeaseResult = { ok: true; lease: TokenLease } | { ok: false; reason: TokenRefusal };

/** Options for {@linkcode BootstrapTokens}. */
export interface BootstrapTokensOptions {
  /** Token lifetime; default 1 h. */
  ttlMs?: number;
  /** How long a lease holds before it lapses (crash safety); default 60 s. */
  leaseMs?: number;
  /** How long after use the same key may register again; default 1 h. */
  rebindWindowMs?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** SHA-256 of a token, lowercase hex: the only form a token is stored in. */
export async function hashToken(token: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
}

/** Constant-time equality of two equal-length hex digests (length is not secret). */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A new random 256-bit token, base64url (43 characters). */
export function generateToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

// Compare-and-swap retries: only concurrent writers on the same cluster collide.
const CAS_ATTEMPTS = 5;

/** Issues, checks, leases and consumes bootstrap tokens over a backend. */
export class BootstrapTokens {
  readonly #backend: TokenBackend;
  readonly #ttlMs: number;
  readonly #leaseMs: number;
  readonly #rebindMs: number;
  readonly #now: () => Date;

  constructor(backend: TokenBackend, options: BootstrapTokensOptions = {}) {
    this.#backend = backend;
    this.#ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.#leaseMs = options.leaseMs ?? 60 * 1000;
    this.#rebindMs = options.rebindWindowMs ?? 60 * 60 * 1000;
    this.#now = options.now ?? (() => new Date());
  }

  /** Issues a new token for `cluster`, replacing any previous one. */
  async issue(cluster: string): Promise<IssuedToken> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const current = await this.#backend.read(cluster);
      const issued = await this.#write(cluster, current?.version);
      if (issued) return issued;
    }
    throw new Error(`Cannot issue bootstrap token for ${cluster}: concurrent updates`);
  }

  /**
   * Makes sure `cluster` has a usable token: issues one when there is none or the last
   * expired unused. Returns the new token, or undefined when the current one still holds
   * (or was used: the cluster has registered).
   */
  async ensure(cluster: string): Promise<IssuedToken | undefined> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const current = await this.#backend.read(cluster);
      if (current && (current.record.state === "used" || !this.#expired(current.record))) {
        return undefined;
      }
      const issued = await this.#write(cluster, current?.version);
      if (issued) return issued;
    }
    throw new Error(`Cannot ensure bootstrap token for ${cluster}: concurrent updates`);
  }

  /** The stored record, for status reporting (holds no secret). */
  async inspect(cluster: string): Promise<TokenRecord | undefined> {
    return (await this.#backend.read(cluster))?.record;
  }

  /** Forgets `cluster`'s token (the cluster was deleted). */
  async revoke(cluster: string): Promise<void> {
    await this.#backend.remove(cluster);
  }

  /**
   * Checks `token` for `cluster` and leases it for a registration of the key `keyId`.
   * The hash comparison runs before any state is revealed.
   */
  async lease(cluster: string, token: string, keyId: string): Promise<LeaseResult> {
    const presented = await hashToken(token);
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const current = await this.#backend.read(cluster);
      if (!current) return { ok: false, reason: "unknown" };
      const { record } = current;
      if (!digestsEqual(presented, record.hash)) return { ok: false, reason: "mismatch" };
      const now = this.#now();
      let rebind = false;
      if (record.state === "used") {
        const until = Date.parse(record.usedAt ?? "") + this.#rebindMs;
        if (record.keyId !== keyId || !(now.getTime() < until)) {
          return { ok: false, reason: "used" };
        }
        rebind = true;
      } else if (this.#expired(record)) {
        return { ok: false, reason: "expired" };
      } else if (record.state === "leased" && Date.parse(record.leaseExpiresAt ?? "") > +now) {
        return { ok: false, reason: "busy" };
      }
      if (rebind) return { ok: true, lease: { cluster, leaseId: "", keyId, rebind } };
      const leaseId = generateToken();
      const next: TokenRecord = {
        ...record,
        state: "leased",
        leaseId,
        leaseExpiresAt: new Date(now.getTime() + this.#leaseMs).toISOString(),
      };
      if (await this.#backend.write(cluster, next, current.version) === "ok") {
        return { ok: true, lease: { cluster, leaseId, keyId, rebind } };
      }
    }
    return { ok: false, reason: "busy" };
  }

  /** Consumes a leased token: it is used from now on, bound to the lease's key. */
  async commit(lease: TokenLease): Promise<void> {
    if (lease.rebind) return;
    await this.#settle(lease, (record) => ({
      ...record,
      state: "used",
      leaseId: undefined,
      leaseExpiresAt: undefined,
      usedAt: this.#now().toISOString(),
      keyId: lease.keyId,
    }));
  }

  /** Returns a leased token unused, so the child can try again. */
  async release(lease: TokenLease): Promise<void> {
    if (lease.rebind) return;
    await this.#settle(lease, (record) => ({
      ...record,
      state: "issued",
      leaseId: undefined,
      leaseExpiresAt: undefined,
    }));
  }

  async #settle(lease: TokenLease, change: (r: TokenRecord) => TokenRecord): Promise<void> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const current = await this.#backend.read(lease.cluster);
      if (!current || current.record.leaseId !== lease.leaseId) {
        throw new Error(`Cannot settle bootstrap token of ${lease.cluster}: the lease was lost`);
      }
      const next = JSON.parse(JSON.stringify(change(current.record))) as TokenRecord;
      if (await this.#backend.write(lease.cluster, next, current.version) === "ok") return;
    }
    throw new Error(`Cannot settle bootstrap token of ${lease.cluster}: concurrent updates`);
  }

  #expired(record: TokenRecord): boolean {
    return !(Date.parse(record.expiresAt) > this.#now().getTime());
  }

  async #write(cluster: string, version?: string): Promise<IssuedToken | undefined> {
    const token = generateToken();
    const now = this.#now();
    const expiresAt = new Date(now.getTime() + this.#ttlMs);
    const record: TokenRecord = {
      cluster,
      hash: await hashToken(token),
      state: "issued",
      issuedAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
    };
    return await this.#backend.write(cluster, record, version) === "ok"
      ? { token, expiresAt }
      : undefined;
  }
}

/** A {@linkcode TokenBackend} in memory: for tests, benchmarks and the sandbox. */
export class MemoryTokenBackend implements TokenBackend {
  readonly #records = new Map<string, StoredToken>();
  #counter = 0;

  read(cluster: string): Promise<StoredToken | undefined> {
    const stored = this.#records.get(cluster);
    return Promise.resolve(stored && { record: { ...stored.record }, version: stored.version });
  }

  write(cluster: string, record: TokenRecord, version?: string): Promise<"ok" | "conflict"> {
    if (this.#records.get(cluster)?.version !== version) return Promise.resolve("conflict");
    this.#records.set(cluster, { record: { ...record }, version: String(++this.#counter) });
    return Promise.resolve("ok");
  }

  remove(cluster: string): Promise<void> {
    this.#records.delete(cluster);
    return Promise.resolve();
  }
}
