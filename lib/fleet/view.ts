/**
 * The JSON the page and `lattice cluster tree --live` read: a compact row per cluster for
 * the tree and table (everything but conditions and events), and the full detail of one.
 */
import type { FleetClusterSummary } from "../proto/lattice/agent/v1/agent.ts";

/** One cluster as the page's tree and table show it. */
export interface FleetRow {
  name: string;
  parent: string;
  phase: string;
  provider: string;
  kubernetesVersion: string;
  fluxVersion: string;
  fluxHealthy?: boolean;
  nodesReady: number;
  nodesTotal: number;
  connected: boolean;
  /** Epoch ms of the last heartbeat the parent received; absent for the root. */
  lastHeartbeat?: number;
  cell: boolean;
  stale: boolean;
  services: string[];
  labels: Record<string, string>;
  /** The Ready condition's status and reason, when there is one. */
  ready?: { status: string; reason: string };
}

/** One cluster in full. */
export interface FleetDetail extends FleetRow {
  agentVersion: string;
  fluxLastSync?: string;
  observed?: string;
  conditions: { type: string; status: string; reason: string; message: string }[];
  events: { type: string; reason: string; message: string; time?: string; count: number }[];
}

/** The compact row of an entry. */
export function rowOf(e: FleetClusterSummary): FleetRow {
  const ready = e.conditions.find((c) => c.type === "Ready");
  return {
    name: e.name,
    parent: e.parent,
    phase: e.phase || "Unknown",
    provider: e.provider,
    kubernetesVersion: e.kubernetesVersion,
    fluxVersion: e.fluxVersion,
    ...(e.fluxHealthy !== undefined ? { fluxHealthy: e.fluxHealthy } : {}),
    nodesReady: e.nodesReady,
    nodesTotal: e.nodesTotal,
    connected: e.agentConnected,
    ...(e.lastHeartbeat ? { lastHeartbeat: e.lastHeartbeat.getTime() } : {}),
    cell: e.cell,
    stale: e.stale,
    services: e.services,
    labels: e.labels,
    ...(ready ? { ready: { status: ready.status, reason: ready.reason } } : {}),
  };
}

/** The full detail of an entry. */
export function detailOf(e: FleetClusterSummary): FleetDetail {
  return {
    ...rowOf(e),
    agentVersion: e.agentVersion,
    ...(e.fluxLastSync ? { fluxLastSync: e.fluxLastSync.toISOString() } : {}),
    ...(e.observed ? { observed: e.observed.toISOString() } : {}),
    conditions: e.conditions,
    events: e.events.map((ev) => ({
      type: ev.type,
      reason: ev.reason,
      message: ev.message,
      ...(ev.time ? { time: ev.time.toISOString() } : {}),
      count: ev.count,
    })),
  };
}

/** What `GET /fleet/api/state` answers. */
export interface FleetSnapshot {
  /** The cell serving the page. */
  cell: string;
  /** Epoch ms when the snapshot was taken. */
  at: number;
  clusters: FleetRow[];
  /** Clusters left out below this cell by the limits. */
  truncated: number;
  /** Clusters the caller may not see (not named). */
  hidden: number;
}

/** A live change: rows to add or replace, names gone (or no longer visible). */
export interface FleetDelta {
  at: number;
  upserts: FleetRow[];
  removals: string[];
  truncated: number;
}
