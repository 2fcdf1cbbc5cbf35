/**
 * A placement's status from one reconcile: the resolved source, the revision Flux applied,
 * and the conditions (Ready with the reason when not; SourceResolved).
 */
import {
  type Condition,
  type LatticeServicePlacementStatus,
  type ResolvedSource,
  setCondition,
} from "../../api/mod.ts";

/** Why a placement is not Ready (its Ready condition's reason). */
export type PlacementReason =
  | "InvalidPlacement"
  | "RegistrationNotFound"
  | "RegistrationInvalid"
  | "SourceNotReady"
  | "PathNotFound"
  | "ArtifactUnavailable"
  | "OverridesNotApplicable"
  | "ApplyFailed"
  | "Progressing";

/** What one reconcile found. */
export type Outcome =
  | { state: "ready"; message: string }
  | { state: "pending"; reason: PlacementReason; message: string }
  | { state: "failed"; reason: PlacementReason; message: string };

/** Inputs of {@linkcode placementStatus}. */
export interface Seen {
  generation?: number;
  namespace: string;
  source?: ResolvedSource;
  /** The revision the Kustomization last applied (the one running). */
  revision?: string;
  outcome: Outcome;
}

const NOT_RESOLVED = new Set<PlacementReason>([
  "InvalidPlacement",
  "RegistrationNotFound",
  "RegistrationInvalid",
]);

/** The new status, conditions carried over from `previous`. */
export function placementStatus(
  previous: LatticeServicePlacementStatus | undefined,
  seen: Seen,
  now?: Date,
): LatticeServicePlacementStatus {
  const g = seen.generation;
  let conditions: Condition[] = previous?.conditions ?? [];
  const set = (c: Omit<Condition, "lastTransitionTime" | "observedGeneration">) =>
    conditions = setCondition(conditions, { ...c, observedGeneration: g }, { now });
  const o = seen.outcome;
  const resolved = o.state === "ready" || !NOT_RESOLVED.has(o.reason);
  set(
    resolved && seen.source
      ? {
        type: "SourceResolved",
        status: "True",
        reason: "RegistrationFound",
        message: `registration ${seen.source.registration} from ${seen.source.definedOn}`,
      }
      : {
        type: "SourceResolved",
        status: "False",
        reason: o.state === "ready" ? "RegistrationNotFound" : o.reason,
        message: o.message,
      },
  );
  set(
    o.state === "ready"
      ? { type: "Ready", status: "True", reason: "Applied", message: o.message }
      : {
        type: "Ready",
        status: o.state === "pending" ? "Unknown" : "False",
        reason: o.reason,
        message: o.message,
      },
  );
  // kstatus conventions, so Flux's health check of the cluster's own Kustomization (which
  // applies the placement) ends at once on a refusal instead of waiting for its timeout.
  set({
    type: "Reconciling",
    status: o.state === "pending" ? "True" : "False",
    reason: o.state === "pending" ? o.reason : o.state === "ready" ? "Applied" : o.reason,
    message: o.state === "pending" ? o.message : "",
  });
  set({
    type: "Stalled",
    status: o.state === "failed" ? "True" : "False",
    reason: o.state === "failed" ? o.reason : o.state === "ready" ? "Applied" : o.reason,
    message: o.state === "failed" ? o.message : "",
  });
  const status: LatticeServicePlacementStatus = {
    observedGeneration: g,
    phase: o.state === "ready" ? "Ready" : o.state === "pending" ? "Pending" : "Failed",
    namespace: seen.namespace,
    conditions,
  };
  const source = seen.source ?? previous?.source;
  if (source) status.source = source;
  const revision = seen.revision ?? previous?.revision;
  if (revision) status.revision = revision;
  return status;
}
