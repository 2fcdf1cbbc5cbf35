/**
 * The LatticeService reconciler: compiles the service into its workload objects and, for
 * every agreed pair where it is the callee, one CiliumNetworkPolicy and one Istio
 * AuthorizationPolicy in its namespace; prunes what is no longer agreed; writes status.
 * Peers are read from the controller's cache of every LatticeService, so a reconcile is
 * O(its own declarations).
 */
import {
  formatIssues,
  LATTICE_SERVICE_REF,
  LatticeServiceSpecSchema,
  type LatticeServiceStatus,
} from "../../api/mod.ts";
import { ApiError, type KubeClient, type KubeObject, objectKey } from "../../kube/mod.ts";
import {
  Action,
  type ReconcileContext,
  type Reconciler,
  type StoreReader,
} from "../../runtime/mod.ts";
import { agreementsOf, type MeshIndex } from "./agreement.ts";
import { applyObject, contentHash, inParallel, syncKind } from "./apply.ts";
import { canaryObjects } from "./canary.ts";
import { PlaceholderError } from "./expand.ts";
import { AUTHZ_REF, canaryName, CNP_REF } from "./names.ts";
import { pairPolicies } from "./policies.ts";
import type { PolicyIndex } from "./policy_index.ts";
import { failedStatus, serviceStatus, statusChanged } from "./status.ts";
import { environmentMap, type EnvironmentSource, ownerOf, type ServiceObject } from "./types.ts";
import { workloadObjects } from "./workload.ts";
import { pruneGenerated } from "./prune.ts";

/** Options of {@linkcode ServiceReconciler}. */
export interface ServiceReconcilerOptions {
  environments: EnvironmentSource;
  /** The mesh's Deployments by `namespace/name` (readiness). */
  deployments: Pick<StoreReader<KubeObject>, "get">;
  /** The cluster's Namespaces (to say a peer's namespace is missing), when known. */
  namespaces?: () => Pick<StoreReader<KubeObject>, "get" | "isReady"> | undefined;
  /** What pair policies exist (watch-fed). */
  policies: Pick<PolicyIndex, "state" | "error" | "existing" | "wrote" | "deleted">;
  /** Requests in flight per reconcile; default 8. */
  parallelism?: number;
  /** Status writes of one generation are at most one per this many ms; default 2,000. */
  statusCoalesceMs?: number;
  /** How long an applied workload object is trusted unchanged; default 10 min. */
  resyncMs?: number;
  now?: () => Date;
}

/** A MeshIndex over the controller's cache (and the Namespaces' cache, when given). */
export function storeIndex(
  store: Pick<StoreReader<ServiceObject>, "get">,
  environments: ReadonlyMap<string, string>,
  namespaces?: Pick<StoreReader<KubeObject>, "get" | "isReady">,
): MeshIndex {
  return {
    namespaceExists: (ns) => namespaces?.isReady ? namespaces.get(ns) !== undefined : undefined,
    get: (ns, name) => {
      const s = store.get(`${ns}/${name}`);
      return s && !s.metadata.deletionTimestamp ? { namespace: ns, name, spec: s.spec } : undefined;
    },
    environmentOf: (ns) => environments.get(ns),
  };
}

function crdMissing(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

/** Reconciles LatticeServices. */
export class ServiceReconciler implements Reconciler<ServiceObject> {
  readonly #client: KubeClient;
  readonly #opts: ServiceReconcilerOptions;
  /** Hash and time of the last apply of each workload object (skip unchanged ones). */
  readonly #applied = new Map<string, { hash: string; at: number }>();
  /** When each service's status was last written (coalescing, see #statusWait). */
  readonly #statusAt = new Map<string, number>();

  constructor(client: KubeClient, options: ServiceReconcilerOptions) {
    this.#client = client;
    this.#opts = options;
  }

  async reconcile(obj: ServiceObject, ctx: ReconcileContext<ServiceObject>): Promise<Action> {
    if (obj.metadata.deletionTimestamp) return Action.done();
    if (!this.#opts.environments.isReady) return Action.requeueAfter(500);
    const policyIndex = this.#opts.policies;
    if (policyIndex.state === "pending" && !policyIndex.error) return Action.requeueAfter(500);
    const { name, namespace = "default", generation } = obj.metadata;
    const now = this.#opts.now?.();
    const parsed = LatticeServiceSpecSchema.safeParse(obj.spec);
    if (!parsed.success) {
      const message = `Invalid spec: ${formatIssues(parsed.error).join("; ")}`;
      await this.#writeStatus(obj, failedStatus(obj.status, generation, message, now));
      return Action.done();
    }
    const spec = parsed.data;
    const index = storeIndex(
      ctx.store,
      environmentMap(this.#opts.environments.list()),
      this.#opts.namespaces?.(),
    );
    const agreements = agreementsOf({ namespace, name, spec }, index);
    const owner = ownerOf(obj);
    const input = {
      name,
      namespace,
      spec,
      owner,
      portOf: (ns: string, peer: string) => {
        const p = Object.values(index.get(ns, peer)?.spec.service?.ports ?? {})[0];
        return p?.port;
      },
    };
    let workloads: KubeObject[];
    try {
      workloads = [...workloadObjects(input), ...canaryObjects(input)];
    } catch (error) {
      if (!(error instanceof PlaceholderError)) throw error;
      await this.#writeStatus(obj, failedStatus(obj.status, generation, error.message, now));
      return Action.done();
    }
    const generated = workloads.map((o) => `${o.kind}/${o.metadata?.name}`);
    let policies = 0, meshProblem: string | undefined;
    try {
      await inParallel(workloads, this.#opts.parallelism ?? 8, (o) => this.#applyWorkload(o));
      await pruneGenerated(this.#client, namespace, obj.status?.generated ?? [], generated);
      const unavailable = "Cannot apply mesh policies: the Cilium or Istio CRDs are not installed";
      try {
        if (this.#opts.policies.state === "missing") meshProblem = unavailable;
        else policies = await this.#syncPolicies(namespace, name, agreements.inbound, owner);
      } catch (error) {
        if (!crdMissing(error)) throw error;
        meshProblem = `${unavailable} (${(error as Error).message})`;
      }
    } catch (error) {
      // Status says why before the retry with backoff.
      const message = `Cannot apply generated objects: ${(error as Error).message}`;
      await this.#writeStatus(
        obj,
        failedStatus(obj.status, generation, message, now, "ApplyFailed"),
      )
        .catch((e) => ctx.logger.warn("Cannot write status", { error: e }));
      throw error;
    }
    const deployments = [name, ...(spec.deploy?.strategy === "canary" ? [canaryName(name)] : [])]
      .map((d) => this.#opts.deployments.get(`${namespace}/${d}`));
    const status = serviceStatus(obj.status, {
      generation,
      strategy: spec.deploy?.strategy ?? "rolling",
      agreements,
      deployments,
      policies,
      generated,
      meshProblem,
    }, now);
    const wait = this.#statusWait(obj, status);
    if (wait > 0) return Action.requeueAfter(wait);
    await this.#writeStatus(obj, status);
    if (statusChanged(obj.status, status)) this.#statusAt.set(objectKey(obj), Date.now());
    if (meshProblem) return Action.requeueAfter(60_000);
    return Action.requeueAfter((this.#opts.resyncMs ?? 600_000) * (1 + Math.random() / 10));
  }

  /**
   * How long to hold back a status write (ms; 0 = write now). While peers keep appearing
   * (a roll-out of many services) a service's agreed and pending lists change with each
   * peer: writes of one generation are coalesced to one per `statusCoalesceMs`, each a
   * full update of a large object. A new generation's first status is written at once.
   */
  #statusWait(obj: ServiceObject, status: LatticeServiceStatus): number {
    const window = this.#opts.statusCoalesceMs ?? 2_000;
    if (window <= 0 || !statusChanged(obj.status, status)) return 0;
    if (obj.status?.observedGeneration !== obj.metadata.generation) return 0;
    const last = this.#statusAt.get(objectKey(obj));
    if (last === undefined) return 0;
    return Math.max(0, last + window - Date.now());
  }

  async #applyWorkload(o: KubeObject): Promise<void> {
    const key = `${o.kind}/${objectKey(o)}`;
    const hash = contentHash(o);
    const last = this.#applied.get(key);
    const fresh = last && Date.now() - last.at < (this.#opts.resyncMs ?? 600_000);
    // Deployments are checked against the cache too: one deleted by hand comes back.
    const present = o.kind !== "Deployment" || this.#opts.deployments.get(objectKey(o));
    if (last?.hash === hash && fresh && present) return;
    await applyObject(this.#client, o);
    this.#applied.set(key, { hash, at: Date.now() });
  }

  async #syncPolicies(
    namespace: string,
    name: string,
    inbound: Parameters<typeof pairPolicies>[0][],
    owner: ReturnType<typeof ownerOf>,
  ): Promise<number> {
    const index = this.#opts.policies;
    if (index.state === "pending") {
      // The list keeps failing (RBAC, apiserver errors): say why, retry with backoff.
      throw new Error(`Cannot read the pair policies: ${index.error?.message}`);
    }
    const all = inbound.map((pair) => pairPolicies(pair, owner));
    const parallelism = this.#opts.parallelism ?? 8;
    let count = 0;
    // Both kinds at once: they are independent, and each is bounded by `parallelism`.
    await Promise.all([CNP_REF, AUTHZ_REF].map(async (ref, i) => {
      const desired = all.map((p) => p[i]);
      await syncKind(
        this.#client,
        ref,
        namespace,
        desired,
        index.existing(ref, namespace, name),
        parallelism,
        {
          wrote: (obj, hash) => index.wrote(ref, obj, hash),
          deleted: (o) => index.deleted(ref, o.namespace, name, o.name),
        },
      );
      count += desired.length;
    }));
    return count;
  }

  async #writeStatus(obj: ServiceObject, status: LatticeServiceStatus): Promise<void> {
    if (!statusChanged(obj.status, status)) return;
    await this.#client.patchStatus(
      LATTICE_SERVICE_REF,
      obj.metadata.name,
      obj.metadata.namespace,
      { status },
    );
  }
}
