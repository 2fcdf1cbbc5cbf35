/**
 * Refusals of agent certificates, remembered briefly: a deleted (revoked) cluster's agent
 * that reconnects in a tight loop costs the cell one admission check (certificate parsing,
 * the revocations ConfigMap, a fresh read of the LatticeCluster from the apiserver) per
 * `ttlMs`, not one per attempt. Only refusals are cached: an admitted certificate is checked
 * again at every connect and renewal, and by the periodic recheck.
 */

/** An admission check: undefined admits, a reason refuses. */
export type AdmissionCheck = (identity: string, certPem: string) => Promise<string | undefined>;

/** Options for {@linkcode cacheRefusals}. */
export interface RefusalCacheOptions {
  /** How long a refusal is reused; default 5 s. */
  ttlMs?: number;
  /** Refusals kept at most (emptied when full); default 10,000. */
  maxEntries?: number;
  now?: () => number;
}

/** `check`, with its refusals reused for `ttlMs` per (identity, certificate). */
export function cacheRefusals(
  check: AdmissionCheck,
  options: RefusalCacheOptions = {},
): AdmissionCheck {
  const ttl = options.ttlMs ?? 5_000;
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const refused = new Map<string, { reason: string; until: number }>();
  return async (identity, certPem) => {
    const key = `${identity}\n${certPem}`;
    const known = refused.get(key);
    if (known && known.until > now()) return known.reason;
    refused.delete(key);
    const reason = await check(identity, certPem);
    if (reason !== undefined) {
      if (refused.size >= max) refused.clear();
      refused.set(key, { reason, until: now() + ttl });
    }
    return reason;
  };
}
