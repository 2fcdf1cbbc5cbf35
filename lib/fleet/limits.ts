/**
 * Bounds of the fleet view's state (docs/fleet_view.md). A child may be buggy or hostile:
 * everything it reports is cut to these sizes by {@linkcode sanitizeSummary} before it is
 * stored, so memory per cluster is bounded and so is the number of clusters.
 */
import type { FleetClusterSummary } from "../proto/lattice/agent/v1/agent.ts";

/** Limits of one cell's fleet state. */
export interface FleetLimits {
  /** Clusters one cell keeps in total (its own, its children's subtrees); default 25,000. */
  maxClusters: number;
  /** Characters of short strings (phase, versions, provider, label values); default 128. */
  maxString: number;
  /** Characters of a condition or event message; default 512. */
  maxMessage: number;
  /** Conditions per cluster; default 12. */
  maxConditions: number;
  /** Recent events per cluster; default 5. */
  maxEvents: number;
  /** Labels per cluster; default 24. */
  maxLabels: number;
  /** Services listed per cluster; default 64. */
  maxServices: number;
  /** Entries per FleetSubtreeUpdate message (snapshots are chunked); default 500. */
  maxChunkEntries: number;
}

/** The defaults of {@linkcode FleetLimits}. */
export const DEFAULT_FLEET_LIMITS: FleetLimits = {
  maxClusters: 25_000,
  maxString: 128,
  maxMessage: 512,
  maxConditions: 12,
  maxEvents: 5,
  maxLabels: 24,
  maxServices: 64,
  maxChunkEntries: 500,
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Whether `name` can be a cluster name (a DNS-1123 label). */
export function isClusterName(name: string): boolean {
  return DNS_LABEL.test(name);
}

function cut(value: string | undefined, max: number): string {
  const s = value ?? "";
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function count(n: number | undefined): number {
  return Number.isFinite(n) && (n ?? 0) > 0 ? Math.min(Math.trunc(n!), 1_000_000) : 0;
}

function date(d: Date | undefined): Date | undefined {
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d : undefined;
}

/**
 * `summary` with every field within `limits`, or undefined when its name (or its parent's)
 * is not a cluster name.
 */
export function sanitizeSummary(
  summary: FleetClusterSummary,
  limits: FleetLimits = DEFAULT_FLEET_LIMITS,
): FleetClusterSummary | undefined {
  if (!isClusterName(summary.name)) return undefined;
  if (summary.parent && !isClusterName(summary.parent)) return undefined;
  const s = limits.maxString;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(summary.labels ?? {}).slice(0, limits.maxLabels)) {
    labels[cut(k, 253)] = cut(v, s);
  }
  return {
    name: summary.name,
    parent: summary.parent ?? "",
    phase: cut(summary.phase, 32),
    kubernetesVersion: cut(summary.kubernetesVersion, 64),
    fluxVersion: cut(summary.fluxVersion, 64),
    nodesReady: count(summary.nodesReady),
    nodesTotal: count(summary.nodesTotal),
    agentConnected: summary.agentConnected === true,
    lastHeartbeat: date(summary.lastHeartbeat),
    cell: summary.cell === true,
    services: (summary.services ?? []).slice(0, limits.maxServices).map((x) => cut(x, s)),
    provider: cut(summary.provider, 64),
    labels,
    conditions: (summary.conditions ?? []).slice(0, limits.maxConditions).map((c) => ({
      type: cut(c.type, s),
      status: cut(c.status, 16),
      reason: cut(c.reason, s),
      message: cut(c.message, limits.maxMessage),
    })),
    events: (summary.events ?? []).slice(0, limits.maxEvents).map((e) => ({
      type: cut(e.type, 16),
      reason: cut(e.reason, s),
      message: cut(e.message, limits.maxMessage),
      time: date(e.time),
      count: count(e.count),
    })),
    fluxHealthy: summary.fluxHealthy,
    fluxLastSync: date(summary.fluxLastSync),
    stale: summary.stale === true,
    observed: date(summary.observed),
    agentVersion: cut(summary.agentVersion, 64),
  };
}

/** A summary with every field at its default, for building one field by field. */
export function emptySummary(name: string, parent = ""): FleetClusterSummary {
  return {
    name,
    parent,
    phase: "",
    kubernetesVersion: "",
    fluxVersion: "",
    nodesReady: 0,
    nodesTotal: 0,
    agentConnected: false,
    cell: false,
    services: [],
    provider: "",
    labels: {},
    conditions: [],
    events: [],
    stale: false,
    agentVersion: "",
  };
}

/** A stable fingerprint of a summary: equal fingerprints, nothing to send. */
export function fingerprint(summary: FleetClusterSummary): string {
  // Dates serialize as ISO strings (millisecond precision): no replacer, which is slow.
  return JSON.stringify(summary);
}
