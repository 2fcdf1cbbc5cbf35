/**
 * The LatticeEnvironment reconciler: decides from this cluster's own LatticeCluster labels
 * whether the environment runs here, creates its namespaces (labelled with the
 * environment; never deleted by Lattice: they hold workloads), reports the LatticeClusters
 * known here that match, and wakes the services when the namespace → environment map
 * changes (isolation is enforced by the service reconciler).
 */
import {
  LATTICE_CLUSTER_REF,
  LATTICE_ENVIRONMENT_REF,
  type LatticeEnvironmentStatus,
  setCondition,
} from "../../api/mod.ts";
import { getOrUndefined, type KubeClient, type KubeObject } from "../../kube/mod.ts";
import { Action, type ReconcileContext, type Reconciler } from "../../runtime/mod.ts";
import { inParallel } from "./apply.ts";
import { ENVIRONMENT_LABEL, MANAGED_BY_LABEL, MESH_FIELD_MANAGER, MESH_MANAGER } from "./names.ts";
import { environmentMap, type EnvironmentObject } from "./types.ts";

/** True when `labels` carry every `selector` label. */
export function matchesLabels(
  labels: Readonly<Record<string, string>> | undefined,
  selector: Readonly<Record<string, string>> | undefined,
): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

/** `k=v,k2=v2`, or `<all>` for an empty selector. */
export function selectorText(selector: Readonly<Record<string, string>> | undefined): string {
  const parts = Object.entries(selector ?? {}).map(([k, v]) => `${k}=${v}`).sort();
  return parts.length ? parts.join(",") : "<all>";
}

/** Options of {@linkcode EnvironmentReconciler}. */
export interface EnvironmentReconcilerOptions {
  /** This cluster's name (its own LatticeCluster holds the labels). */
  selfName: string;
  /** Called when the namespace → environment map may have changed. */
  onMapChange: () => void;
  now?: () => Date;
}

/** Reconciles LatticeEnvironments. */
export class EnvironmentReconciler implements Reconciler<EnvironmentObject> {
  readonly #client: KubeClient;
  readonly #opts: EnvironmentReconcilerOptions;
  #lastMap = "";

  constructor(client: KubeClient, options: EnvironmentReconcilerOptions) {
    this.#client = client;
    this.#opts = options;
  }

  async reconcile(
    env: EnvironmentObject,
    ctx: ReconcileContext<EnvironmentObject>,
  ): Promise<Action> {
    const map = environmentMap(ctx.store.list());
    const signature = JSON.stringify([...map].sort());
    if (signature !== this.#lastMap) {
      this.#lastMap = signature;
      this.#opts.onMapChange();
    }
    const name = env.metadata.name;
    const selector = env.spec.clusterSelector?.matchLabels;
    const own = await getOrUndefined(() =>
      this.#client.get<KubeObject>(LATTICE_CLUSTER_REF, this.#opts.selfName)
    );
    const active = matchesLabels(own?.metadata?.labels, selector);
    const clusters = (await this.#client.list<KubeObject>(LATTICE_CLUSTER_REF, {
      signal: ctx.signal,
    })).items.filter((c) => matchesLabels(c.metadata?.labels, selector))
      .map((c) => c.metadata?.name ?? "").sort();
    const conflicts = env.spec.namespaces.filter((ns) => map.get(ns) !== name);
    const mine = env.spec.namespaces.filter((ns) => map.get(ns) === name);
    if (active) {
      await inParallel(mine, 4, (ns) =>
        this.#client.apply({
          apiVersion: "v1",
          kind: "Namespace",
          metadata: {
            name: ns,
            labels: { [ENVIRONMENT_LABEL]: name, [MANAGED_BY_LABEL]: MESH_MANAGER },
          },
        }, { fieldManager: MESH_FIELD_MANAGER }));
    }
    const now = this.#opts.now?.();
    let conditions = setCondition(env.status?.conditions, {
      type: "Ready",
      status: "True",
      reason: active ? "Active" : "NotSelected",
      message: active
        ? `Namespaces ${mine.join(", ") || "(none)"} exist on this cluster`
        : `This cluster's labels do not match ${selectorText(selector)}`,
      observedGeneration: env.metadata.generation,
    }, { now });
    conditions = setCondition(
      conditions,
      conflicts.length > 0
        ? {
          type: "NamespaceConflict",
          status: "True",
          reason: "ClaimedElsewhere",
          message: conflicts.map((ns) => `${ns} belongs to environment ${map.get(ns)}`).join("; "),
        }
        : { type: "NamespaceConflict", status: "False", reason: "NoConflict", message: "" },
      { now },
    );
    const status: LatticeEnvironmentStatus = {
      observedGeneration: env.metadata.generation,
      active,
      selector: selectorText(selector),
      namespaceList: env.spec.namespaces.join(","),
      clusters: clusters.slice(0, 256),
      clusterList: clusters.length > 8
        ? `${clusters.slice(0, 8).join(",")},+${clusters.length - 8}`
        : clusters.join(","),
      conditions,
    };
    const strip = (s?: LatticeEnvironmentStatus) =>
      JSON.stringify({
        ...s,
        conditions: s?.conditions?.map(({ lastTransitionTime: _, ...c }) => c),
      });
    if (strip(env.status) !== strip(status)) {
      await this.#client.patchStatus(LATTICE_ENVIRONMENT_REF, name, undefined, { status });
    }
    return Action.requeueAfter(300_000);
  }
}
