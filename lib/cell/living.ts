/**
 * Which clusters live on this cell: a LatticeCluster of that name exists and is not being
 * deleted. The agent server admits streams and renewals only for living clusters, and the
 * proxy routes only to them (a cluster that does not live answers 404, one that lives but
 * whose agent is away 503).
 */
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";
import { getOrUndefined } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";
import type { ClusterGetter } from "./webhook_clusters.ts";

/** Options for {@linkcode LivingClusters}. */
export interface LivingClustersOptions {
  /** How long an answer is reused by {@linkcode LivingClusters.has}; default 5 s. */
  ttlMs?: number;
  /** Names remembered at most; default 10,000. */
  maxEntries?: number;
  now?: () => number;
}

/** A cached view of the cell's living LatticeClusters. */
export class LivingClusters {
  readonly #client: ClusterGetter;
  readonly #ttl: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #answers = new Map<string, { living: boolean; at: number }>();

  constructor(client: ClusterGetter, options: LivingClustersOptions = {}) {
    this.#client = client;
    this.#ttl = options.ttlMs ?? 5_000;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `name` lives; `fresh` reads the apiserver whatever the cache holds. */
  async has(name: string, options: { fresh?: boolean } = {}): Promise<boolean> {
    const cached = this.#answers.get(name);
    if (!options.fresh && cached && this.#now() - cached.at < this.#ttl) return cached.living;
    const obj = await getOrUndefined(() => this.#client.get<KubeObject>(LATTICE_CLUSTER_REF, name));
    const living = obj !== undefined && !obj.metadata?.deletionTimestamp;
    if (this.#answers.size >= this.#max) this.#answers.clear();
    this.#answers.set(name, { living, at: this.#now() });
    return living;
  }
}
