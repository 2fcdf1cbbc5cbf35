/**
 * Deleting a pivoted child on its parent (git: `lattice cluster delete` + push, Flux prunes):
 * its CAPI objects live on the child, so they are first moved back here — the pivot in
 * reverse, run by the child (lib/pivot/unpivot_agent.ts) with this cell as target — and only
 * then does the ordinary deletion delete the CAPI Cluster (tearing the infrastructure down).
 *
 * - A child with children of its own is refused until they are gone (the condition names them).
 * - A child whose agent does not come back: deletion waits and says so; the annotation
 *   `lattice.dev/forget=true` forgets it instead (its machines keep running, unmanaged here).
 */
import { latticeMetrics } from "../../metrics/mod.ts";
import { findCondition, setCondition } from "../../api/mod.ts";
import { isConflict, removeFinalizer } from "../../kube/mod.ts";
import type { ClusterObject } from "./types.ts";
import type { Action } from "../../runtime/mod.ts";
import { CLUSTER_FINALIZER, type Deps, getOptional, LATTICE_CLUSTER_REF } from "./deps.ts";
import { capiNamespace, CLUSTER } from "../../capi/mod.ts";
import { PIVOT_PAUSED_LABEL } from "../../pivot/types.ts";
import { type ClusterScope, CONDITIONS, isTrue, markCondition, warn } from "./scope.ts";

/** Annotation on the parent's copy: delete without moving anything back (forced path). */
export const FORGET_ANNOTATION = "lattice.dev/forget";

/** The outcome of one unpivot step of a deletion. */
export type UnpivotStep =
  | { next: "continue" }
  | { next: "wait"; action: Action }
  | { next: "released" };

/** Whether the copy belongs to a pivoted child (its CAPI objects are on the child). */
export function isPivotedCopy(scope: ClusterScope): boolean {
  const status = scope.cluster.status;
  return isTrue(scope, CONDITIONS.pivoted) || status?.pivot?.phase === "Done" ||
    status?.pivot?.phase === "DeletingSource";
}

/** The id of the unpivot of this copy: stable across restarts, new for a new object. */
export function unpivotIdOf(scope: ClusterScope): string {
  return `unpivot-${(scope.cluster.metadata.uid ?? scope.cluster.metadata.name).slice(0, 36)}`;
}

/** One step of moving a pivoted child's objects back before it is deleted. */
export async function unpivotStep(scope: ClusterScope, deps: Deps): Promise<UnpivotStep> {
  const { cluster } = scope;
  const name = cluster.metadata.name;
  if (!isPivotedCopy(scope) || isTrue(scope, CONDITIONS.unpivoted)) return { next: "continue" };
  const link = deps.child;
  link?.forget(name);
  // CAPI objects managed here (never pivoted away, or already back): nothing to move.
  const here = await getOptional(deps, CLUSTER.apiVersion, CLUSTER.kind, name, capiNamespace(name));
  if (here && !here.metadata?.labels?.[PIVOT_PAUSED_LABEL]) {
    // Remembered before the Cluster is deleted: after that, nothing here would say so.
    markCondition(
      scope,
      CONDITIONS.unpivoted,
      "True",
      "ManagedHere",
      "The CAPI objects are on this cluster; deleting the cluster",
    );
    await persistCondition(scope, deps);
    return { next: "continue" };
  }

  if (cluster.metadata.annotations?.[FORGET_ANNOTATION] === "true") {
    deps.log.warn("Forgetting a pivoted child without tearing it down", { cluster: name });
    warn(
      scope,
      "ChildForgotten",
      `${FORGET_ANNOTATION}=true: forgotten without moving its CAPI objects back; its ` +
        "machines keep running and manage themselves",
    );
    await deps.tokens?.release(name);
    await link?.revokeAgent(name);
    await removeFinalizer(deps.client, LATTICE_CLUSTER_REF, cluster, CLUSTER_FINALIZER);
    return { next: "released" };
  }

  const children = cluster.status?.pivoted?.children ?? [];
  if (children.length > 0) {
    const message = `Cannot delete ${name} while it has clusters of its own: ` +
      `${children.join(", ")}. Delete them first.`;
    markCondition(scope, CONDITIONS.unpivoted, "False", "HasChildren", message);
    markCondition(scope, CONDITIONS.ready, "False", "HasChildren", message);
    return { next: "wait", action: { requeueAfterMs: deps.pollMs } };
  }

  if (!link) {
    const message = "This cell has no link to its children: cannot move the CAPI objects back; " +
      `annotate ${FORGET_ANNOTATION}=true to forget the cluster`;
    markCondition(scope, CONDITIONS.unpivoted, "False", "NoAgentLink", message);
    return { next: "wait", action: { requeueAfterMs: deps.pollMs } };
  }

  const unpivotId = unpivotIdOf(scope);
  const state = await link.unpivot(name, unpivotId);
  recordUnpivot(unpivotId, state.state);
  switch (state.state) {
    case "disconnected": {
      const message = `Waiting for ${name}'s agent to reconnect to move its CAPI objects back ` +
        `(nothing is deleted meanwhile). To forget the cluster instead, leaving its machines ` +
        `running: kubectl annotate latticecluster ${name} ${FORGET_ANNOTATION}=true`;
      markCondition(scope, CONDITIONS.unpivoted, "False", "AgentDisconnected", message);
      markCondition(scope, CONDITIONS.ready, "False", "AgentDisconnected", message);
      return { next: "wait", action: { requeueAfterMs: deps.shortPollMs } };
    }
    case "refused":
    case "failed":
      markCondition(scope, CONDITIONS.unpivoted, "False", "UnpivotFailed", state.message);
      return { next: "wait", action: { requeueAfterMs: deps.shortPollMs } };
    case "running":
      markCondition(
        scope,
        CONDITIONS.unpivoted,
        "False",
        state.phase ? `Unpivot${state.phase}` : "UnpivotStarting",
        state.message || `Moving the CAPI objects back from ${name} (${state.phase || "starting"})`,
      );
      return { next: "wait", action: { requeueAfterMs: deps.shortPollMs } };
    case "done":
      markCondition(
        scope,
        CONDITIONS.unpivoted,
        "True",
        "UnpivotComplete",
        "The CAPI objects are back on the parent; deleting the cluster",
      );
      // Persist the commit before the CAPI Cluster is deleted: the child may vanish next.
      await persistCondition(scope, deps);
      // The next pass starts the ordinary deletion from the object as now stored.
      return { next: "wait", action: { requeueAfterMs: deps.shortPollMs } };
  }
}

/** Writes the Unpivoted condition now, keeping every other condition (merge, with retries). */
async function persistCondition(scope: ClusterScope, deps: Deps): Promise<void> {
  const condition = findCondition(scope.status.conditions, CONDITIONS.unpivoted)!;
  for (let attempt = 0;; attempt++) {
    const current = await deps.client.get<ClusterObject>(
      LATTICE_CLUSTER_REF,
      scope.cluster.metadata.name,
    );
    try {
      await deps.client.patchStatus(LATTICE_CLUSTER_REF, scope.cluster.metadata.name, undefined, {
        metadata: { resourceVersion: current.metadata.resourceVersion },
        status: {
          conditions: setCondition(current.status?.conditions, condition, { now: scope.now }),
        },
      });
      return;
    } catch (error) {
      if (isConflict(error) && attempt < 5) continue;
      throw error;
    }
  }
}

// When this process first saw each unpivot, for lattice_unpivot_duration_seconds; an
// unpivot is counted once, when it ends (done, or refused/failed).
const unpivotStarted = new Map<string, number>();
const unpivotEnded = new Set<string>();

function recordUnpivot(unpivotId: string, state: string): void {
  if (unpivotEnded.has(`${unpivotId}/${state}`)) return;
  if (!unpivotStarted.has(unpivotId)) unpivotStarted.set(unpivotId, performance.now());
  if (state !== "done" && state !== "failed" && state !== "refused") return;
  const seconds = (performance.now() - unpivotStarted.get(unpivotId)!) / 1000;
  unpivotEnded.add(`${unpivotId}/${state}`);
  if (unpivotEnded.size > 10_000) unpivotEnded.clear();
  latticeMetrics.move("unpivot", state === "done" ? "success" : "failure", seconds);
}
