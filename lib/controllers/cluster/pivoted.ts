/**
 * Cell mode after the pivot: the parent's copy of a child's LatticeCluster is the desired
 * spec (from git) and shows the child's truth.
 *
 * - Spec down: fields fixed at creation (provider, region, bootstrap, networks, parent) are
 *   compared with what the child was built with; a change there is refused with a condition
 *   and never sent. Otherwise the spec is offered to the child link, which sends it whenever
 *   the child reports a different hash.
 * - Status up: `status.pivoted` (written from heartbeats by lib/childsync) is copied into the
 *   printer-column fields (running version, nodes), and marked stale when the agent has been
 *   silent longer than the stale limit.
 */
import { describeChanges, immutableChanges, immutableFields } from "../../childsync/spec.ts";
import { LATTICE_CLUSTER_REF } from "../../api/refs.ts";
import type { Action } from "../../runtime/mod.ts";
import type { Deps } from "./deps.ts";
import { type ClusterScope, CONDITIONS, markCondition, setNodes, setPhase, warn } from "./scope.ts";

type Pivoted = NonNullable<NonNullable<ClusterScope["cluster"]["status"]>["pivoted"]>;

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Reconciles the parent's copy of a pivoted child (not being deleted, spec valid). */
export async function reconcilePivoted(scope: ClusterScope, deps: Deps): Promise<Action> {
  const { cluster } = scope;
  const name = cluster.metadata.name;
  const view: Pivoted = cluster.status?.pivoted ?? {};
  const immutable = view.immutable ?? immutableFields(cluster.spec);
  const patch: Record<string, unknown> = {};
  if (!view.immutable) patch.immutable = immutable;
  let requeue: number | undefined;

  // Status up: the child's own view into the printer-column fields.
  if (view.kubernetesVersion) scope.status.kubernetesVersion = view.kubernetesVersion;
  if (view.nodes) setNodes(scope, view.nodes.ready, view.nodes.total);

  const link = deps.child;
  const changes = immutableChanges(immutable, cluster.spec);
  if (changes.length > 0) {
    const message = `Cannot change after creation: ${describeChanges(changes)}. Revert these ` +
      "fields in git; to change them, create a new cluster.";
    const before = cluster.status?.conditions?.find((c) => c.type === CONDITIONS.specSynced);
    markCondition(scope, CONDITIONS.specSynced, "False", "ImmutableFieldChanged", message);
    if (before?.message !== message) warn(scope, "ImmutableFieldChanged", message);
    link?.forget(name);
  } else if (link) {
    const sync = link.offerSpec(name, cluster.spec, cluster.metadata.generation ?? 0);
    const synced = sync.state === "synced";
    if (view.specSynced !== synced) patch.specSynced = synced;
    switch (sync.state) {
      case "synced":
        markCondition(scope, CONDITIONS.specSynced, "True", "Synced", "The child runs this spec");
        break;
      case "disconnected":
        markCondition(
          scope,
          CONDITIONS.specSynced,
          "False",
          "AgentDisconnected",
          "The child's agent is not connected; the spec is delivered when it reconnects",
        );
        break;
      case "failed":
        markCondition(scope, CONDITIONS.specSynced, "False", "SyncFailed", sync.error);
        requeue = deps.shortPollMs;
        break;
      default:
        markCondition(
          scope,
          CONDITIONS.specSynced,
          "False",
          "Syncing",
          "Waiting for the child to report this spec",
        );
        requeue = deps.shortPollMs;
    }
  }

  // Stale: the agent silent longer than N heartbeats (the registry's clock, or the last view).
  if (link) {
    const beat = link.lastHeartbeat(name)?.getTime() ??
      (view.reportedAt ? Date.parse(view.reportedAt) : undefined);
    const age = beat === undefined ? undefined : scope.now.getTime() - beat;
    const stale = age === undefined || age > link.staleAfterMs;
    if (view.stale !== stale && (view.reportedAt || stale)) patch.stale = stale;
    if (stale) {
      markCondition(
        scope,
        CONDITIONS.childReporting,
        "False",
        "AgentSilent",
        age === undefined
          ? "The child's agent has not reported since this cell started"
          : `No heartbeat for ${Math.round(age / 1000)} s (limit ${
            Math.round(link.staleAfterMs / 1000)
          } s): status.pivoted is from ${view.reportedAt ?? "never"}`,
      );
    } else {
      markCondition(scope, CONDITIONS.childReporting, "True", "Reporting", "Heartbeats arrive");
    }
    // Checked again one stale limit from now, so silence is noticed without any event.
    requeue = Math.min(requeue ?? link.staleAfterMs, link.staleAfterMs);
  }

  if (Object.keys(patch).length > 0 && !sameJson({ ...view, ...patch }, view)) {
    await deps.client.patchStatus(LATTICE_CLUSTER_REF, name, undefined, {
      status: { pivoted: patch },
    });
  }
  markCondition(scope, CONDITIONS.ready, "True", "SelfManaging", "The cluster manages itself");
  setPhase(scope, "Ready", "the cluster manages itself");
  return requeue === undefined ? {} : { requeueAfterMs: requeue };
}
