/**
 * The LatticeCluster reconciler. One reconciler serves both roles of the operator:
 * - self mode for the cluster's OWN LatticeCluster (name = this cluster);
 * - cell mode for children whose `spec.cellRef` names this cell (when it is a cell).
 * Anything else is not ours and is left untouched.
 *
 * Each reconcile builds a scope, runs the phase functions over it, then — in a `finally`,
 * whether the phases succeeded or threw — writes the owned status fields once (server-side
 * apply, only when changed) and records phase Events. See docs/adr/failure-model.md.
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
import {
  type Action,
  messageOf,
  reasonOf,
  type ReconcileContext,
  type Reconciler,
} from "../../runtime/mod.ts";
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

  /**
   * Reconciles one LatticeCluster. The status is written in a `finally` (the deferred patch
   * of Cluster API's patch helper): a phase that throws still leaves `Ready=False` with the
   * error's reason ({@linkcode reasonOf}) and message, then the error goes to the runtime
   * (terminal or retried by type). A reconcile cancelled by shutdown or lost leadership
   * writes nothing: its work stopped midway and the next leader reconciles afresh.
   */
  async reconcile(
    obj: ClusterObject,
    ctx?: Partial<Pick<ReconcileContext<ClusterObject>, "logger" | "store" | "signal">>,
  ): Promise<Action> {
    const store = ctx?.store;
    const exists = (name: string) => store ? store.get(name) !== undefined : true;
    const cellRefOf = (name: string) => store?.get(name)?.spec?.cellRef;
    const role = this.roleOf(obj, exists, cellRefOf);
    if (role === "foreign") return {};
    const log = ctx?.logger ??
      (this.#opts.logger ?? silentLogger).child({ cluster: obj.metadata.name });
    const signal = ctx?.signal;
    const client = signal ? this.#client.withSignal(signal) : this.#client;
    const deps: Deps = {
      client,
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
    // What the finally does: write status and events, only events, or nothing.
    let write: "status" | "events" | "none" = "status";
    let failure: unknown;
    try {
      return await this.#phases(obj, role, scope, deps, exists, cellRefOf, (w) => write = w);
    } catch (error) {
      failure = error;
      if (!signal?.aborted) this.#failed(scope, error);
      throw error;
    } finally {
      if (signal?.aborted) write = "none";
      await this.#deferred(scope, deps, write, failure);
    }
  }

  async #phases(
    obj: ClusterObject,
    role: ClusterRole,
    scope: ClusterScope,
    deps: Deps,
    exists: (name: string) => boolean,
    cellRefOf: (name: string) => string | undefined,
    finish: (write: "status" | "events" | "none") => void,
  ): Promise<Action> {
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
      return {};
    }

    if (obj.metadata.deletionTimestamp) {
      if (role === "self") {
        // A cluster never deletes its own infrastructure from inside; just let go.
        finish("none");
        await this.#releaseSelf(deps.client, obj);
        return {};
      }
      const result = await deleteChild(scope, deps);
      // Released: the object is going away, there is no status left to write.
      if (result.released) finish("events");
      return result.action;
    }

    if (role === "child" && !hasFinalizer(obj, CLUSTER_FINALIZER)) {
      await addFinalizer(deps.client, LATTICE_CLUSTER_REF, obj, CLUSTER_FINALIZER);
    }
    const problems = validateCluster(scope.cluster, context);
    if (problems.length > 0) {
      this.#invalid(scope, problems);
      return {};
    }
    markCondition(scope, CONDITIONS.specValid, "True", "Valid");
    markLoadBalancerPools(scope);
    return role === "self" ? await reconcileSelf(scope, deps) : await reconcileChild(scope, deps);
  }

  /** A phase threw: Ready=False with the error's reason, once as a Warning Event. */
  #failed(scope: ClusterScope, error: unknown): void {
    const reason = reasonOf(error);
    const message = messageOf(error);
    const before = scope.status.conditions?.find((c) => c.type === CONDITIONS.ready);
    markCondition(scope, CONDITIONS.ready, "False", reason, message);
    if (before?.reason !== reason || before.message !== message) warn(scope, reason, message);
  }

  /** The deferred write; when a phase failed, a failed write must not hide its error. */
  async #deferred(
    scope: ClusterScope,
    deps: Deps,
    write: "status" | "events" | "none",
    failure: unknown,
  ): Promise<void> {
    try {
      if (write === "status") await this.#finish(scope, deps);
      else if (write === "events") await this.#recordEvents(scope);
    } catch (error) {
      if (failure === undefined) throw error;
      deps.log.warn("Cannot write status after a failed reconcile", { error });
    }
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

  async #releaseSelf(client: KubeClient, obj: ClusterObject): Promise<void> {
    if (!hasFinalizer(obj, CLUSTER_FINALIZER)) return;
    await removeFinalizer(client, LATTICE_CLUSTER_REF, obj, CLUSTER_FINALIZER);
  }

  async #finish(scope: ClusterScope, deps: Deps): Promise<void> {
    scope.status.observedGeneration = scope.cluster.metadata.generation;
    if (statusChanged(scope)) {
      deps.log.debug("Writing status", { phase: scope.status.phase });
      await deps.client.applyStatus({
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
