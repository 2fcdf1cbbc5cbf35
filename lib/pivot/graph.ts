/**
 * The pure move-graph builder: objects in, the ordered list to move out. No I/O, so the
 * selection, ordering and cycle rules are unit-tested without Kubernetes.
 *
 * Selection follows clusterctl move, narrowed from a namespace to one Cluster: the Cluster
 * and everything that depends on it (ownerReferences, `<cluster>-*` Secrets/ConfigMaps, the
 * cluster-name label, ClusterResourceSetBindings), the ClusterClass it uses, and objects
 * labelled (or whose CRD is labelled) move / move-hierarchy — never another Cluster's.
 * Unlike clusterctl, an object whose owner cannot be placed, or an ownership cycle, is an
 * error that lists them instead of a silent skip.
 */
import { defined } from "./_defined.ts";
import type { KubeObject } from "../kube/types.ts";
import { buildEdges, type GraphNode, isCluster, isClusterClass } from "./_edges.ts";
import {
  ADDONS_GROUP,
  BLOCK_MOVE_ANNOTATION,
  CAPI_GROUP,
  CLUSTER_NAME_LABEL,
  describeObject,
  MOVE_HIERARCHY_LABEL,
  MOVE_LABEL,
  type ObjectIdentity,
} from "./types.ts";

/** What discovery knows of one movable type (from its CRD). */
export interface MoveType {
  group: string;
  kind: string;
  /** The CRD carries the move label: every object of the type moves. */
  forceMove?: boolean;
  /** The CRD carries the move-hierarchy label: every object moves with its dependents. */
  forceMoveHierarchy?: boolean;
}

/** Options for {@linkcode buildMoveGraph}. */
export interface BuildMoveGraphOptions {
  /** Name of the Cluster to move. */
  clusterName: string;
  /** Its namespace. */
  namespace: string;
  /** Type-level move labels; objects of unlisted types get no type-level flags. */
  types?: readonly MoveType[];
  /** Owner references into these groups are dropped, not followed. Default `lattice.dev`. */
  ignoreOwnerGroups?: readonly string[];
  /**
   * Drop owners that are absent instead of failing: used while deleting the source, where a
   * crash may have left a partly deleted graph.
   */
  allowMissingOwners?: boolean;
}

/** One object of the move, in order. */
export interface MoveNode {
  object: KubeObject;
  identity: ObjectIdentity;
  uid: string;
  /** 0 for objects without owners in the move; otherwise 1 + the deepest owner's level. */
  level: number;
  /**
   * Copied but not deleted from the source, because something that stays there depends on
   * it (e.g. a ClusterClass other Clusters use).
   */
  keepOnSource: boolean;
  /** Carries the block-move annotation: the move waits until it is removed. */
  blocking: boolean;
}

/** The ordered move: every owner before its dependents. */
export interface MoveGraph {
  nodes: MoveNode[];
  /** The Cluster being moved. */
  cluster: MoveNode;
  /** ClusterClasses in the move (paused with the Cluster). */
  clusterClasses: MoveNode[];
  /** Nodes carrying the block-move annotation. */
  blocking: MoveNode[];
}

/** The graph cannot be ordered: owners that cannot be placed, or ownership cycles. */
export class PivotGraphError extends Error {
  /** `Kind ns/name → missing owner` lines. */
  readonly unplaceable: string[];
  /** `Kind ns/name` of objects in (or stuck behind) an ownership cycle. */
  readonly cycle: string[];

  constructor(unplaceable: string[], cycle: string[]) {
    const parts: string[] = [];
    if (unplaceable.length) parts.push(`owners cannot be placed: ${unplaceable.join("; ")}`);
    if (cycle.length) parts.push(`ownership cycle among: ${cycle.join(", ")}`);
    super(`Cannot order the move graph: ${parts.join("; ")}`);
    this.name = "PivotGraphError";
    this.unplaceable = unplaceable;
    this.cycle = cycle;
  }
}

function hasLabel(obj: KubeObject, label: string): boolean {
  return obj.metadata?.labels?.[label] !== undefined;
}

/** Builds the ordered move graph of one Cluster; throws PivotGraphError when unorderable. */
export function buildMoveGraph(
  objects: readonly KubeObject[],
  options: BuildMoveGraphOptions,
): MoveGraph {
  const nodes = buildEdges(objects, {
    ignoreOwnerGroups: options.ignoreOwnerGroups ?? ["lattice.dev"],
  });
  const all = [...nodes.values()];
  const target = all.find((n) =>
    isCluster(n) && n.name === options.clusterName && n.namespace === options.namespace
  );
  if (!target) {
    throw new Error(
      `Cannot build the move graph: Cluster ${options.namespace}/${options.clusterName} not found`,
    );
  }
  const typeOf = (n: GraphNode) =>
    options.types?.find((t) => t.group === n.group && t.kind === n.kind);

  // Everything reachable from another Cluster (through dependents) or labelled for another
  // Cluster stays behind: a force-move label must not drag a neighbour's objects along.
  const foreign = new Set<string>();
  const markForeign = (n: GraphNode) => {
    if (n === target || foreign.has(n.uid)) return;
    foreign.add(n.uid);
    for (const d of n.dependents) markForeign(nodeOf(nodes, d));
  };
  for (const n of all) {
    const label = n.object.metadata?.labels?.[CLUSTER_NAME_LABEL];
    if ((isCluster(n) && n !== target) || (label && label !== options.clusterName)) markForeign(n);
  }

  // The Cluster's own hierarchy is followed everywhere (a dependent it shares with what
  // stays is reported below); labels and the ClusterClass never pull in foreign objects.
  const moved = new Set<string>();
  const include = (n: GraphNode, hierarchy: boolean, ownHierarchy: boolean) => {
    if (isCluster(n) && n !== target) return;
    if (!ownHierarchy && foreign.has(n.uid)) return;
    const seen = moved.has(n.uid);
    moved.add(n.uid);
    if (!hierarchy || seen) return;
    for (const d of n.dependents) include(nodeOf(nodes, d), true, ownHierarchy);
  };
  include(target, true, true);
  for (const o of target.owners) {
    const owner = nodeOf(nodes, o);
    if (isClusterClass(owner)) include(owner, true, false);
  }
  for (const n of all) {
    const type = typeOf(n);
    const implicitHierarchy = n.group === ADDONS_GROUP && n.kind === "ClusterResourceSet";
    if (
      implicitHierarchy || type?.forceMoveHierarchy || hasLabel(n.object, MOVE_HIERARCHY_LABEL)
    ) {
      include(n, true, false);
    } else if (type?.forceMove || hasLabel(n.object, MOVE_LABEL)) {
      include(n, false, false);
    }
  }

  const unplaceable: string[] = [];
  for (const uid of moved) {
    const n = nodeOf(nodes, uid);
    if (!options.allowMissingOwners) {
      for (const m of n.missingOwners) unplaceable.push(`${describeObject(n.object)} → ${m}`);
    }
    for (const o of n.owners) {
      if (!moved.has(o)) {
        unplaceable.push(
          `${describeObject(n.object)} → ${describeObject(nodeOf(nodes, o).object)}`,
        );
      }
    }
  }

  const { levels, stuck } = orderLevels(nodes, moved);
  if (unplaceable.length || stuck.length) {
    throw new PivotGraphError(
      unplaceable.sort(),
      stuck.map((n) => describeObject(n.object)).sort(),
    );
  }
  const keep = keepOnSource(nodes, moved);
  const out: MoveNode[] = [...moved].map((uid) => {
    const n = nodeOf(nodes, uid);
    return {
      object: n.object,
      identity: {
        apiVersion: defined(n.object.apiVersion, `apiVersion of ${n.kind} ${n.name}`),
        kind: n.kind,
        ...(n.namespace ? { namespace: n.namespace } : {}),
        name: n.name,
      },
      uid,
      level: defined(levels.get(uid), `level of ${n.kind} ${n.name}`),
      keepOnSource: keep.has(uid),
      blocking: n.object.metadata?.annotations?.[BLOCK_MOVE_ANNOTATION] !== undefined,
    };
  });
  out.sort((a, b) => a.level - b.level || compareText(sortKey(a), sortKey(b)));
  return {
    nodes: out,
    cluster: defined(out.find((n) => n.uid === target.uid), "the Cluster in the graph"),
    clusterClasses: out.filter((n) =>
      n.identity.kind === "ClusterClass" &&
      n.identity.apiVersion.startsWith(`${CAPI_GROUP}/`)
    ),
    blocking: out.filter((n) => n.blocking),
  };
}

function nodeOf(nodes: Map<string, GraphNode>, uid: string): GraphNode {
  return defined(nodes.get(uid), `object ${uid} of the graph`);
}

function sortKey(n: MoveNode): string {
  return `${n.identity.kind}/${n.identity.namespace ?? ""}/${n.identity.name}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kahn's algorithm by levels; whatever never becomes free is in or behind a cycle. */
function orderLevels(
  nodes: Map<string, GraphNode>,
  moved: Set<string>,
): { levels: Map<string, number>; stuck: GraphNode[] } {
  const pending = new Map<string, number>();
  for (const uid of moved) {
    pending.set(uid, [...nodeOf(nodes, uid).owners].filter((o) => moved.has(o)).length);
  }
  const levels = new Map<string, number>();
  let frontier = [...pending].filter(([, count]) => count === 0).map(([uid]) => uid);
  for (let level = 0; frontier.length > 0; level++) {
    const next: string[] = [];
    for (const uid of frontier) {
      levels.set(uid, level);
      for (const d of nodeOf(nodes, uid).dependents) {
        if (!pending.has(d)) continue;
        const left = defined(pending.get(d), `pending owners of ${d}`) - 1;
        pending.set(d, left);
        if (left === 0) next.push(d);
      }
    }
    frontier = next;
  }
  const stuck = [...moved].filter((uid) => !levels.has(uid)).map((uid) => nodeOf(nodes, uid));
  return { levels, stuck };
}

/**
 * Moved objects that something staying on the source depends on, and (like clusterctl's
 * shouldNotDelete) everything they own: deleting them would cascade into what stays.
 */
function keepOnSource(nodes: Map<string, GraphNode>, moved: Set<string>): Set<string> {
  const keep = new Set<string>();
  const mark = (uid: string) => {
    if (keep.has(uid)) return;
    keep.add(uid);
    for (const d of nodeOf(nodes, uid).dependents) {
      if (moved.has(d) && nodeOf(nodes, d).hardOwners.has(uid)) mark(d);
    }
  };
  for (const uid of moved) {
    if ([...nodeOf(nodes, uid).dependents].some((d) => !moved.has(d))) mark(uid);
  }
  return keep;
}
