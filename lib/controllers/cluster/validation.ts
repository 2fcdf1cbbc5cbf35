/**
 * The operator's validation of a LatticeCluster: the shared {@linkcode clusterProblems}
 * (lib/api/cluster_checks.ts, which `lattice validate` calls too) with the operator's
 * context — its informer cache for cellRefs and the object's status for what runs now.
 * Problems become a `SpecValid=False` condition and a Warning event; they never crash a
 * reconcile.
 */
import { type ClusterContext, clusterProblems, type SpecProblem } from "../../api/mod.ts";
import type { ClusterObject } from "./types.ts";

export type { SpecProblem };

/** What validation may look up besides the cluster itself. */
export interface ValidationContext {
  /** Whether a LatticeCluster named `name` exists here (for cellRef); omit to skip. */
  clusterExists?: (name: string) => boolean;
  /** The cellRef of a LatticeCluster known here (for loops); omit to skip. */
  cellRefOf?: (name: string) => string | undefined;
  /** The name of this cell (a cellRef to it is always valid). */
  cellName?: string;
  /** Whether this cluster must name a parent (a child of this cell without cellRef). */
  requireCellRef?: boolean;
}

/** Every problem of `cluster`'s spec, in a stable order; empty when valid. */
export function validateCluster(
  cluster: ClusterObject,
  context: ValidationContext = {},
): SpecProblem[] {
  const status = cluster.status ?? {};
  const shared: ClusterContext = {
    clusterExists: context.clusterExists,
    cellRefOf: context.cellRefOf,
    expectedParent: context.requireCellRef || cluster.spec.cellRef !== undefined
      ? context.cellName
      : undefined,
    running: { kubernetesVersion: status.kubernetesVersion, provider: status.provider },
  };
  // The document as the user wrote it: the server's metadata and the status are not ours
  // to judge here.
  return clusterProblems({
    apiVersion: cluster.apiVersion,
    kind: cluster.kind,
    metadata: { name: cluster.metadata.name },
    spec: cluster.spec,
  }, shared);
}

/**
 * The context the reconciler validates a cluster with, by the role it plays here: a child
 * or orphan must name a known cell (a missing cellRef is reported for an orphan), and
 * every role is checked for cellRef loops. Tests call it to validate exactly as the
 * controller does.
 */
export function clusterValidationContext(
  role: "self" | "child" | "foreign" | "orphan",
  cellName: string,
  exists: (name: string) => boolean,
  cellRefOf: (name: string) => string | undefined,
): ValidationContext {
  const scoped = role === "child" || role === "orphan";
  return {
    cellName,
    cellRefOf,
    clusterExists: scoped ? exists : undefined,
    requireCellRef: role === "orphan",
  };
}
