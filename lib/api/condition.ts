/**
 * The metav1.Condition shape shared by every Lattice resource's status.
 */
import { z } from "zod";

/** Condition reasons are CamelCase identifiers, as metav1.Condition requires. */
export const CONDITION_REASON = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$";

/** A standard Kubernetes condition (metav1.Condition). */
export const ConditionSchema = z.strictObject({
  type: z.string().min(1).max(316)
    .describe("Type of condition in CamelCase, e.g. Ready, Provisioned, AgentConnected."),
  status: z.enum(["True", "False", "Unknown"])
    .describe("Status of the condition: True, False or Unknown."),
  observedGeneration: z.int().min(0).optional()
    .describe("The .metadata.generation the condition was set from."),
  lastTransitionTime: z.iso.datetime()
    .describe("Last time the condition changed from one status to another (RFC 3339)."),
  reason: z.string().min(1).max(1024).regex(new RegExp(CONDITION_REASON))
    .describe("Programmatic CamelCase identifier of the reason for the last transition."),
  message: z.string().max(32768)
    .describe("Human readable message with details about the transition; may be empty."),
}).describe("A standard Kubernetes condition (metav1.Condition).");

/** A standard Kubernetes condition (metav1.Condition). */
export type Condition = z.infer<typeof ConditionSchema>;

/** Options for {@linkcode setCondition}. */
export interface SetConditionOptions {
  /** Clock for lastTransitionTime; defaults to now. */
  now?: Date;
}

/**
 * Returns a new list with `next` set: lastTransitionTime only moves when the status
 * changes, so watchers can tell how long a condition has held.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, "lastTransitionTime">,
  options: SetConditionOptions = {},
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const now = (options.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
  if (i < 0) {
    list.push({ ...next, lastTransitionTime: now });
    return list;
  }
  const prev = list[i];
  list[i] = {
    ...next,
    lastTransitionTime: prev.status === next.status ? prev.lastTransitionTime : now,
  };
  return list;
}

/** Finds a condition by type. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
