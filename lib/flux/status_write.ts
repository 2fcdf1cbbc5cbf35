/**
 * Writes Flux's state into a LatticeCluster: `status.flux`, `status.fluxVersion` and the
 * FluxReady condition. Used by the cell for a child's copy (from the child's
 * FluxStatusResponse, or its own refusal to send a command) and by the agent for the
 * cluster's own copy. Server-side apply under its own field manager, so it never fights the
 * cluster controller over other status fields or conditions.
 */
import type { Condition } from "../api/mod.ts";
import type { KubeClient } from "../kube/mod.ts";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";
import type { FluxStatusResponse } from "../proto/lattice/agent/v1/agent.ts";

/** The condition type this writer owns. */
export const FLUX_READY = "FluxReady";
const FIELD_MANAGER = "lattice-flux-status";

/** A reason why Flux on a cluster is not what it should be, decided before any status. */
export interface FluxProblem {
  reason: string;
  message: string;
}

/** The FluxReady condition for a status (and an optional problem that overrides it). */
export function fluxCondition(
  status: FluxStatusResponse | undefined,
  problem?: FluxProblem,
): { status: "True" | "False" | "Unknown"; reason: string; message: string } {
  if (problem) return { status: "False", reason: problem.reason, message: problem.message };
  if (!status || !status.installed) {
    return { status: "False", reason: "NotInstalled", message: "Flux is not installed yet" };
  }
  if (!status.healthy) {
    return { status: "False", reason: "ControllersUnhealthy", message: status.errors.join("; ") };
  }
  if (status.errors.length) {
    return { status: "False", reason: "SyncFailed", message: status.errors.join("; ") };
  }
  if (!status.lastSync && !status.lastAppliedRevision && !status.suspended) {
    return {
      status: "Unknown",
      reason: "WaitingForSync",
      message: `Flux ${status.version} runs; waiting for the first sync of the cluster's folder`,
    };
  }
  if (status.suspended) {
    return {
      status: "True",
      reason: "Suspended",
      message: `Flux ${status.version} runs; syncing is suspended`,
    };
  }
  return {
    status: "True",
    reason: "Synced",
    message: `Flux ${status.version} runs` +
      (status.lastAppliedRevision ? `; applied ${status.lastAppliedRevision}` : ""),
  };
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Applies status.flux / fluxVersion / FluxReady of LatticeCluster `name`. */
export async function writeFluxStatus(
  client: KubeClient,
  name: string,
  status: FluxStatusResponse | undefined,
  problem?: FluxProblem,
  now: Date = new Date(),
): Promise<void> {
  const cond = fluxCondition(status, problem);
  const current = await client.get<{ status?: { conditions?: Condition[] } }>(
    LATTICE_CLUSTER_REF,
    name,
  );
  const before = current.status?.conditions?.find((c) => c.type === FLUX_READY);
  const since = before?.status === cond.status ? before.lastTransitionTime : rfc3339(now);
  const flux = status
    ? {
      installed: status.installed,
      healthy: status.healthy,
      suspended: status.suspended,
      controllers: status.controllerStatus,
      ...(status.version ? { version: status.version } : {}),
      ...(status.lastSync ? { lastSync: status.lastSync } : {}),
      ...(status.lastAppliedRevision ? { revision: status.lastAppliedRevision.slice(0, 256) } : {}),
      errors: [...(problem ? [problem.message] : []), ...status.errors].slice(0, 10)
        .map((e) => e.slice(0, 1024)),
    }
    : undefined;
  await client.applyStatus({
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name },
    status: {
      ...(flux ? { flux } : {}),
      ...(status?.version ? { fluxVersion: status.version } : {}),
      conditions: [{
        type: FLUX_READY,
        status: cond.status,
        reason: cond.reason,
        message: cond.message.slice(0, 32_000),
        lastTransitionTime: since,
      }],
    },
  }, { fieldManager: FIELD_MANAGER, force: true });
}

export { LATTICE_CLUSTER_REF };
