/**
 * How a direct child's entry is made from two sources: the cell's own view (its
 * LatticeCluster copy, the agent link) and the child's report about itself. Before the pivot
 * the cell's copy is the truth (the child does not manage itself yet); after it, the
 * child's own report is, except for the link (connected, last heartbeat), which only the
 * parent sees. Events of both are merged, newest first.
 */
import type {
  FleetClusterSummary,
  FleetCondition,
  FleetEvent,
} from "../proto/lattice/agent/v1/agent.ts";
import type { FleetLimits } from "./limits.ts";
import type { LocalChild } from "./state.ts";

/** The AgentConnected condition type (owned by the parent). */
const LINK_CONDITION = "AgentConnected";

/** Newest first, at most `max`, duplicates (same reason and message) once. */
export function mergeEvents(a: FleetEvent[], b: FleetEvent[], max: number): FleetEvent[] {
  const seen = new Set<string>();
  return [...a, ...b]
    .sort((x, y) => (y.time?.getTime() ?? 0) - (x.time?.getTime() ?? 0))
    .filter((e) => {
      const key = `${e.reason}\0${e.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, max);
}

function withLink(
  conditions: FleetCondition[],
  local: FleetCondition[],
  max: number,
): FleetCondition[] {
  const link = local.find((c) => c.type === LINK_CONDITION);
  const rest = conditions.filter((c) => c.type !== LINK_CONDITION);
  return (link ? [...rest, link] : rest).slice(0, max);
}

/** The merged entry of a direct child; see the module doc. */
export function mergeChild(
  local: LocalChild,
  reported: FleetClusterSummary | undefined,
  linkDown: boolean,
  limits: FleetLimits,
): FleetClusterSummary {
  const l = local.summary;
  if (!reported) return l;
  const own = local.pivoted;
  const base = own ? reported : l;
  return {
    ...base,
    name: l.name,
    parent: l.parent,
    phase: (own ? reported.phase : l.phase) || reported.phase || l.phase,
    kubernetesVersion: base.kubernetesVersion || reported.kubernetesVersion ||
      l.kubernetesVersion,
    fluxVersion: reported.fluxVersion || l.fluxVersion,
    fluxHealthy: reported.fluxHealthy ?? l.fluxHealthy,
    fluxLastSync: reported.fluxLastSync ?? l.fluxLastSync,
    nodesReady: own || l.nodesTotal === 0 ? reported.nodesReady : l.nodesReady,
    nodesTotal: own || l.nodesTotal === 0 ? reported.nodesTotal : l.nodesTotal,
    provider: l.provider || reported.provider,
    labels: Object.keys(l.labels).length ? l.labels : reported.labels,
    services: reported.services.length ? reported.services : l.services,
    cell: l.cell || reported.cell,
    agentConnected: l.agentConnected,
    lastHeartbeat: l.lastHeartbeat,
    agentVersion: l.agentVersion || reported.agentVersion,
    conditions: withLink(base.conditions, l.conditions, limits.maxConditions),
    events: mergeEvents(l.events, reported.events, limits.maxEvents),
    // What the child said about itself is last known while its link is down.
    stale: linkDown,
    observed: reported.observed ?? l.observed,
  };
}
