/**
 * LatticeService status from what a reconcile found: replicas of its Deployments, agreed
 * and pending dependencies (each pending one says which half is missing), and conditions.
 */
import {
  type Condition,
  type DependencyStatus,
  type LatticeServiceStatus,
  setCondition,
} from "../../api/mod.ts";
import type { KubeObject } from "../../kube/mod.ts";
import type { Agreements } from "./agreement.ts";

/** Ready and desired replicas summed over Deployments. */
export function replicaCounts(deployments: readonly (KubeObject | undefined)[]) {
  let desired = 0, ready = 0;
  for (const d of deployments) {
    if (!d) continue;
    const spec = d.spec as { replicas?: number } | undefined;
    const status = d.status as { readyReplicas?: number } | undefined;
    desired += spec?.replicas ?? 1;
    ready += status?.readyReplicas ?? 0;
  }
  return { desired, ready, summary: `${ready}/${desired}` };
}

/** One line per pending dependency, for the condition message. */
export function pendingMessage(pending: readonly DependencyStatus[]): string {
  return pending.map((p) =>
    `${p.direction === "outbound" ? "outbound to" : "inbound from"} ${p.service}: ${p.missing}`
  ).join("; ");
}

/** What a reconcile observed. */
export interface Observed {
  generation?: number;
  strategy: string;
  agreements: Agreements;
  deployments: readonly (KubeObject | undefined)[];
  policies: number;
  generated: string[];
  /** Why the mesh policies could not be applied (their CRDs are not served). */
  meshProblem?: string;
}

/** The new status, conditions carried over from `previous`. */
export function serviceStatus(
  previous: LatticeServiceStatus | undefined,
  seen: Observed,
  now?: Date,
): LatticeServiceStatus {
  const replicas = replicaCounts(seen.deployments);
  const ready = seen.deployments.every((d) => d !== undefined) &&
    replicas.ready >= replicas.desired;
  const g = seen.generation;
  const { agreed, pending } = seen.agreements;
  let conditions: Condition[] = previous?.conditions ?? [];
  const set = (c: Omit<Condition, "lastTransitionTime" | "observedGeneration">) =>
    conditions = setCondition(conditions, { ...c, observedGeneration: g }, { now });
  set({
    type: "Ready",
    status: ready ? "True" : "False",
    reason: ready ? "ReplicasReady" : "ReplicasNotReady",
    message: `${replicas.summary} replicas ready`,
  });
  set(
    pending.length === 0
      ? {
        type: "DependenciesAgreed",
        status: "True",
        reason: "AllAgreed",
        message: `${agreed.length} dependencies agreed by both sides`,
      }
      : {
        type: "DependenciesAgreed",
        status: "False",
        reason: "PendingAgreement",
        message: pendingMessage(pending),
      },
  );
  set(
    seen.meshProblem
      ? {
        type: "MeshPolicies",
        status: "False",
        reason: "MeshUnavailable",
        message: seen.meshProblem,
      }
      : {
        type: "MeshPolicies",
        status: "True",
        reason: "Applied",
        message: `${seen.policies} policies for ${seen.agreements.inbound.length} inbound pairs`,
      },
  );
  return {
    observedGeneration: g,
    phase: ready ? "Ready" : "Progressing",
    conditions,
    replicas,
    strategy: seen.strategy,
    agreed,
    pending,
    agreedCount: agreed.length,
    pendingCount: pending.length,
    policies: seen.policies,
    generated: seen.generated,
  };
}

/** The status of a service whose spec cannot be compiled. */
export function failedStatus(
  previous: LatticeServiceStatus | undefined,
  generation: number | undefined,
  message: string,
  now?: Date,
  reason = "InvalidSpec",
): LatticeServiceStatus {
  return {
    ...previous,
    observedGeneration: generation,
    phase: "Failed",
    conditions: setCondition(previous?.conditions, {
      type: "Ready",
      status: "False",
      reason,
      message,
      observedGeneration: generation,
    }, { now }),
  };
}

/** True when two statuses differ in more than condition timestamps. */
export function statusChanged(a: LatticeServiceStatus | undefined, b: LatticeServiceStatus) {
  const strip = (s: LatticeServiceStatus | undefined) =>
    JSON.stringify({
      ...s,
      conditions: s?.conditions?.map(({ lastTransitionTime: _, ...c }) => c),
    });
  return strip(a) !== strip(b);
}
