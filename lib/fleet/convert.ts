/**
 * Fleet entries from what a cluster's API holds: a LatticeCluster (the cell's copy of a
 * child, or a cluster's own), Kubernetes Events about LatticeClusters, and the services
 * placed on a cluster.
 */
import type { FleetClusterSummary, FleetEvent } from "../proto/lattice/agent/v1/agent.ts";
import { providerOf } from "../api/mod.ts";
import { emptySummary } from "./limits.ts";

/** The parts of a LatticeCluster the fleet view reads (tolerant of partial objects). */
export interface ClusterDoc {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: {
    cellRef?: string;
    cell?: { enabled?: boolean };
    provider?: { kubernetes?: { version?: string }; config?: Record<string, unknown> };
  };
  status?: {
    phase?: string;
    provider?: string;
    kubernetesVersion?: string;
    fluxVersion?: string;
    nodes?: { ready?: number; total?: number };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    agent?: { connected?: boolean; lastHeartbeat?: string; version?: string };
    flux?: { version?: string; healthy?: boolean; lastSync?: string };
  };
}

/** A core/v1 view of an Event (what `GET /api/v1/.../events` answers). */
export interface EventDoc {
  type?: string;
  reason?: string;
  message?: string;
  note?: string;
  count?: number;
  eventTime?: string | null;
  lastTimestamp?: string | null;
  firstTimestamp?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  involvedObject?: { kind?: string; name?: string };
  regarding?: { kind?: string; name?: string };
}

function when(text: string | null | undefined): Date | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The fleet form of one Event. */
export function fleetEvent(e: EventDoc): FleetEvent {
  return {
    type: e.type ?? "Normal",
    reason: e.reason ?? "",
    message: e.message ?? e.note ?? "",
    time: when(e.series?.lastObservedTime) ?? when(e.lastTimestamp) ?? when(e.eventTime) ??
      when(e.firstTimestamp),
    count: e.series?.count ?? e.count ?? 1,
  };
}

/** Events grouped by the name of the LatticeCluster they are about, newest first. */
export function eventsByCluster(events: EventDoc[], max: number): Map<string, FleetEvent[]> {
  const out = new Map<string, FleetEvent[]>();
  for (const e of events) {
    const about = e.involvedObject ?? e.regarding;
    if (about?.kind !== "LatticeCluster" || !about.name) continue;
    const list = out.get(about.name) ?? [];
    list.push(fleetEvent(e));
    out.set(about.name, list);
  }
  for (const [name, list] of out) {
    list.sort((a, b) => (b.time?.getTime() ?? 0) - (a.time?.getTime() ?? 0));
    out.set(name, list.slice(0, max));
  }
  return out;
}

function providerName(doc: ClusterDoc): string {
  if (doc.status?.provider) return doc.status.provider;
  const config = doc.spec?.provider?.config;
  if (!config || Object.keys(config).length !== 1) return "";
  try {
    return providerOf(config as Parameters<typeof providerOf>[0]);
  } catch {
    return "";
  }
}

/** Whether the cluster has been pivoted (it manages itself). */
export function isPivoted(doc: ClusterDoc): boolean {
  return doc.status?.conditions?.some((c) => c.type === "Pivoted" && c.status === "True") ??
    false;
}

/** The fleet entry of a LatticeCluster; `parent` overrides `spec.cellRef`. */
export function summaryFromCluster(
  doc: ClusterDoc,
  options: { parent?: string; events?: FleetEvent[]; services?: string[] } = {},
): FleetClusterSummary {
  const s = doc.status ?? {};
  const summary = emptySummary(doc.metadata?.name ?? "", options.parent ?? doc.spec?.cellRef);
  summary.phase = s.phase ?? "Pending";
  summary.provider = providerName(doc);
  summary.kubernetesVersion = s.kubernetesVersion ??
    doc.spec?.provider?.kubernetes?.version ?? "";
  summary.fluxVersion = s.fluxVersion ?? s.flux?.version ?? "";
  summary.fluxHealthy = s.flux?.healthy;
  summary.fluxLastSync = when(s.flux?.lastSync);
  summary.nodesReady = s.nodes?.ready ?? 0;
  summary.nodesTotal = s.nodes?.total ?? 0;
  summary.cell = doc.spec?.cell?.enabled ?? false;
  summary.labels = { ...doc.metadata?.labels };
  summary.conditions = (s.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason ?? "",
    message: c.message ?? "",
  }));
  summary.events = options.events ?? [];
  summary.services = options.services ?? [];
  summary.agentConnected = s.agent?.connected ?? false;
  summary.lastHeartbeat = when(s.agent?.lastHeartbeat);
  summary.agentVersion = s.agent?.version ?? "";
  return summary;
}
