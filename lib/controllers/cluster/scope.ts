/**
 * The scope one reconcile works on: the cluster as read, the status being built, and the
 * events to record. Phases change the scope; the status is written once at the end, and
 * only when it changed, so a quiet reconcile costs no write.
 */
import {
  type Condition,
  type LatticeClusterStatus,
  type Phase,
  setCondition,
} from "../../api/mod.ts";
import type { EventDetails } from "../../kube/mod.ts";
import { canonicalJson } from "../../capi/mod.ts";
import type { ClusterObject } from "./types.ts";

/** Condition types this controller owns (others' conditions are left alone). */
export const CONDITIONS = {
  /** The spec passed semantic validation. */
  specValid: "SpecValid",
  /** CAPI objects for the current generation were applied. */
  capiObjectsApplied: "CapiObjectsApplied",
  /** CAPI reports the control plane initialized. */
  controlPlaneReady: "ControlPlaneReady",
  /** The CAPI objects were handed to the cluster itself. */
  pivoted: "Pivoted",
  /** Self mode: the control plane runs the desired version and replica count. */
  controlPlaneUpToDate: "ControlPlaneUpToDate",
  /** Self mode: the workers run the desired version and replica count. */
  workersUpToDate: "WorkersUpToDate",
  /** Whether spec.networking.default is served (Cilium LB-IPAM) or not (another CNI). */
  loadBalancerPools: "LoadBalancerPools",
  /** After the pivot: the child runs the spec of the parent's copy. */
  specSynced: "SpecSynced",
  /** After the pivot: the child's agent reports within the stale limit. */
  childReporting: "ChildReporting",
  /** Deletion of a pivoted child: its CAPI objects are back on the parent. */
  unpivoted: "Unpivoted",
  /** Summary. */
  ready: "Ready",
} as const;

const OWNED = new Set<string>(Object.values(CONDITIONS));

/** The fields of status this controller writes (its server-side-apply ownership). */
export type OwnedStatus = Pick<
  LatticeClusterStatus,
  "phase" | "observedGeneration" | "conditions" | "provider" | "kubernetesVersion" | "nodes"
>;

/** One reconcile's working state. */
export interface ClusterScope {
  /** The cluster as read (do not mutate). */
  readonly cluster: ClusterObject;
  /** Status being built: starts as the owned part of the current status. */
  status: OwnedStatus;
  /** Events to record after the status is written. */
  events: EventDetails[];
  /** Clock of this reconcile. */
  readonly now: Date;
}

/** The owned part of a status. */
export function ownedStatus(status: LatticeClusterStatus | undefined): OwnedStatus {
  const s = status ?? {};
  const out: OwnedStatus = {};
  if (s.phase !== undefined) out.phase = s.phase;
  if (s.observedGeneration !== undefined) out.observedGeneration = s.observedGeneration;
  const conditions = (s.conditions ?? []).filter((c) => OWNED.has(c.type));
  if (conditions.length > 0) out.conditions = conditions;
  if (s.provider !== undefined) out.provider = s.provider;
  if (s.kubernetesVersion !== undefined) out.kubernetesVersion = s.kubernetesVersion;
  if (s.nodes !== undefined) out.nodes = s.nodes;
  return out;
}

/** A scope for `cluster`. */
export function newScope(cluster: ClusterObject, now: Date): ClusterScope {
  return { cluster, status: structuredClone(ownedStatus(cluster.status)), events: [], now };
}

/** Sets condition `type`; lastTransitionTime moves only when its status changes. */
export function markCondition(
  scope: ClusterScope,
  type: string,
  status: Condition["status"],
  reason: string,
  message = "",
): void {
  scope.status.conditions = setCondition(scope.status.conditions, {
    type,
    status,
    reason,
    message,
    observedGeneration: scope.cluster.metadata.generation,
  }, { now: scope.now });
}

/** True when condition `type` is True in the status being built. */
export function isTrue(scope: ClusterScope, type: string): boolean {
  return scope.status.conditions?.find((c) => c.type === type)?.status === "True";
}

/** Sets the phase; a change queues an Event (Warning for Failed). */
export function setPhase(scope: ClusterScope, phase: Phase, note: string): void {
  const before = scope.cluster.status?.phase;
  scope.status.phase = phase;
  if (before === phase) return;
  scope.events.push({
    type: phase === "Failed" ? "Warning" : "Normal",
    reason: phase,
    note: before ? `Phase ${before} → ${phase}: ${note}` : `Phase ${phase}: ${note}`,
    action: "Reconcile",
  });
}

/** Queues a Warning event. */
export function warn(scope: ClusterScope, reason: string, note: string): void {
  scope.events.push({ type: "Warning", reason, note, action: "Reconcile" });
}

/** Sets `nodes` with its `r/t` summary for the printer column. */
export function setNodes(scope: ClusterScope, ready: number, total: number): void {
  scope.status.nodes = { ready, total, summary: `${ready}/${total}` };
}

/** True when the status being built differs from what the cluster carries. */
export function statusChanged(scope: ClusterScope): boolean {
  return canonicalJson(scope.status) !== canonicalJson(ownedStatus(scope.cluster.status));
}
