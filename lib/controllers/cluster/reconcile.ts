/**
 * The LatticeCluster reconciler. One reconciler serves both roles of the operator:
 * - self mode for the cluster's OWN LatticeCluster (name = this cluster);
 * - cell mode for children whose `spec.cellRef` names this cell (when it is a cell).
 * Anything else is not ours and is left untouched.
 *
 * Each reconcile builds a scope, runs the phase functions over it, then writes the owned
 * status fields once (server-side apply, only when changed) and records phase Events.
 */
import {
  addFinalizer,
  type EventRecorder,
  hasFinalizer,
  type KubeClient,
  removeFinalizer,
} from "../../kube/mod.ts";
import { cellRefLoop, problemText } from "../../api/mod.ts";
import { type Logger, silentLogger } from "../../log/mod.ts";
import type { Action, ReconcileContext, Reconciler } from "../../runtime/mod.ts";
import { reconcileChild } from "./cell.ts";
import { deleteChild } from "./deletion.ts";
import { markLoadBalancerPools } from "./networking.ts";
import { CLUSTER_FINALIZER, type Deps, LATTICE_CLUSTER_REF, STATUS_FIELD_MANAGER } from "./deps.ts";
import {
  type ClusterScope,
  CONDITIONS,
  markCondition,
  newScope,
  setPhase,
  statusChanged,
  warn,
} from "./scope.ts";
import { reconcileSelf } from "./self.ts";
import type {
  BootstrapTokens,
  CellIdentity,
  ChildLink,
  ClusterObject,
  PivotHandoff,
} from "./types.ts";
import { clusterValidationContext, type SpecProblem, validateCluster } from "./validation.ts";

/** Options of {@linkcode ClusterReconciler}. */
export interface ClusterReconcilerOptions {
  /** Name of the cluster this operator runs on (its own LatticeCluster). */
  selfName: string;
  /** Set when this cluster is a cell: how children reach it. Enables cell mode. */
  cell?: CellIdentity;
  /** Bootstrap token issuer (required in cell mode). */
  tokens?: BootstrapTokens;
  /** Pivot hand-off; without it children wait in Pivoting. */
  pivot?: PivotHandoff;
  /** The link to pivoted children; without it the copy of a pivoted child is only shown. */
  child?: ChildLink;
  /** Records phase changes and problems as Events. */
  recorder?: EventRecorder;
  logger?: Logger;
  /** Clock; default `new Date()`. */
  now?: () => Date;
  /** Requeue while waiting on CAPI; default 60 s (CAPI Cluster watches wake us sooner). */
  pollMs?: number;
  /** Requeue while pivoting or deleting; default 5 s. */
  shortPollMs?: number;
  /**
   * Provision LatticeClusters without a cellRef (the bootstrap cluster of `lattice
   * install` provisions the root this way); default false.
   */
  provisionUnparented?: boolean;
}

/** The role a LatticeCluster plays for this operator. */
export type ClusterRole = "self" | "child" | "foreign" | "orphan";

/** Reconciles LatticeClusters in self and cell mode. */
export class ClusterReconciler implements Reconciler<ClusterObject> {
  readonly #client: KubeClient;
  readonly #opts: ClusterReconcilerOptions;
  #capiClusters?: Deps["capiClusters"];

  constructor(client: KubeClient, options: ClusterReconcilerOptions) {
    this.#client = client;
    this.#opts = options;
  }

  /** Reads generated CAPI Clusters from `cache` (the controller's watch) before the API. */
  useCapiClusterCache(cache: Deps["capiClusters"]): void {
    this.#capiClusters = cache;
  }

  /**
   * Which role `cluster` plays here. `exists` says whether a LatticeCluster of that name
   * is known (a cellRef to another known cluster belongs to that cell's operator).
   */
  roleOf(
    cluster: ClusterObject,
    exists: (name: string) => boolean,
    cellRefOf?: (name: string) => string | undefined,
  ): ClusterRole {
    const { selfName, cell, provisionUnparented } = this.#opts;
    const name = cluster.metadata.name;
    if (name === selfName) return "self";
    if (!cell) return "foreign";
    const ref = cluster.spec.cellRef;
    if (ref === selfName || (ref === undefined && provisionUnparented)) return "child";
    // A cellRef naming the cluster itself, or closing a loop, belongs to no cell: the cell
    // that sees it reports it rather than leaving it silently unowned.
    if (ref !== undefined && ref !== name && exists(ref) && !cellRefLoop(name, ref, cellRefOf)) {
      return "foreign";
    }
    return "orphan";
  }

  /** Reconciles one LatticeCluster. */
  async reconcile(
    obj: ClusterObject,
    ctx?: Partial<Pick<ReconcileContext<ClusterObject>, "logger" | "store">>,
  ): Promise<Action> {
    const store = ctx?.store;
    const exists = (name: string) => store ? store.get(name) !== undefined : true;
    const cellRefOf = (name: string) => store?.get(name)?.spec?.cellRef;
    const role = this.roleOf(obj, exists, cellRefOf);
    if (role === "foreign") return {};
    const log = ctx?.logger ??
      (this.#opts.logger ?? silentLogger).child({ cluster: obj.metadata.name });
    const deps: Deps = {
      client: this.#client,
      log,
      selfName: this.#opts.selfName,
      cell: this.#opts.cell,
      tokens: this.#opts.tokens,
      pivot: this.#opts.pivot,
      child: this.#opts.child,
      capiClusters: this.#capiClusters,
      pollMs: this.#opts.pollMs ?? 60_000,
      shortPollMs: this.#opts.shortPollMs ?? 5_000,
    };
    const scope = newScope(structuredClone(obj), (this.#opts.now ?? (() => new Date()))());
    let action: Action = {};

    const context = clusterValidationContext(role, deps.selfName, exists, cellRefOf);
    if (role === "orphan") {
      const problems = validateCluster(scope.cluster, context);
      this.#invalid(
        scope,
        problems.length > 0 ? problems : [{
          reason: "UnknownCellRef",
          field: "spec.cellRef",
          message: `names no cell this operator serves: set it to "${deps.selfName}"`,
        }],
      );
      await this.#finish(scope, deps);
      return {};
    }

    if (obj.metadata.deletionTimestamp) {
      if (role === "self") {
        // A cluster never deletes its own infrastructure from inside; just let go.
        await this.#releaseSelf(obj);
        return {};
      }
      const result = await deleteChild(scope, deps);
      if (!result.released) await this.#finish(scope, deps);
      else await this.#recordEvents(scope);
      return result.action;
    }

    if (role === "child" && !hasFinalizer(obj, CLUSTER_FINALIZER)) {
      await addFinalizer(this.#client, LATTICE_CLUSTER_REF, obj, CLUSTER_FINALIZER);
    }
    const problems = validateCluster(scope.cluster, context);
    if (problems.length > 0) {
      this.#invalid(scope, problems);
    } else {
      markCondition(scope, CONDITIONS.specValid, "True", "Valid");
      markLoadBalancerPools(scope);
      action = role === "self"
        ? await reconcileSelf(scope, deps)
        : await reconcileChild(scope, deps);
    }
    await this.#finish(scope, deps);
    return action;
  }

  #invalid(scope: ClusterScope, problems: SpecProblem[]): void {
    const reason = problems[0].reason;
    const message = problems.map(problemText).join("; ");
    const before = scope.status.conditions?.find((c) => c.type === CONDITIONS.specValid);
    markCondition(scope, CONDITIONS.specValid, "False", reason, message);
    markCondition(scope, CONDITIONS.ready, "False", reason, message);
    if (before?.status !== "False" || before.message !== message) warn(scope, reason, message);
    setPhase(scope, "Failed", message);
  }

  async #releaseSelf(obj: ClusterObject): Promise<void> {
    if (!hasFinalizer(obj, CLUSTER_FINALIZER)) return;
    await removeFinalizer(this.#client, LATTICE_CLUSTER_REF, obj, CLUSTER_FINALIZER);
  }

  async #finish(scope: ClusterScope, deps: Deps): Promise<void> {
    scope.status.observedGeneration = scope.cluster.metadata.generation;
    if (statusChanged(scope)) {
      deps.log.debug("Writing status", { phase: scope.status.phase });
      await this.#client.applyStatus({
        apiVersion: scope.cluster.apiVersion,
        kind: scope.cluster.kind,
        metadata: { name: scope.cluster.metadata.name },
        status: scope.status,
      }, { fieldManager: STATUS_FIELD_MANAGER });
    }
    await this.#recordEvents(scope);
  }

  async #recordEvents(scope: ClusterScope): Promise<void> {
    const recorder = this.#opts.recorder;
    if (!recorder) return;
    for (const event of scope.events) await recorder.record(scope.cluster, event);
  }
}
