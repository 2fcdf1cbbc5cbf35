/**
 * Types of the LatticeCluster controller and the interfaces it is handed by its neighbours:
 * bootstrap tokens (lib/cell's bootstrap webhook owns them) and the pivot (lib/pivot).
 */
import type { LatticeCluster } from "../../api/mod.ts";
import type { ObjectMeta as KubeMeta } from "../../kube/mod.ts";

/** A LatticeCluster as read from the API: defaults applied, server metadata present. */
export type ClusterObject = Omit<LatticeCluster, "metadata"> & {
  metadata: LatticeCluster["metadata"] & KubeMeta;
};

/** Where the token Secret of a cluster is (in the cluster's `capi-<name>` namespace). */
export interface TokenSecretRef {
  /** Secret name; must stay the same for a cluster (the control plane refers to it). */
  name: string;
  /** Key of the token in the Secret; default `token`. */
  key?: string;
}

/**
 * Issues one-time bootstrap tokens. Implemented by the bootstrap webhook's owner: it keeps
 * the SHA-256 of the token and writes the token itself into a Secret that CAPI copies onto
 * the first control-plane node.
 */
export interface BootstrapTokens {
  /**
   * Ensures `cluster` has a token, stored in a Secret in `namespace` (which exists).
   * Idempotent: calling it again returns the same Secret without minting a new token.
   */
  ensure(
    cluster: ClusterObject,
    namespace: string,
    options?: { signal?: AbortSignal },
  ): Promise<TokenSecretRef>;
  /** Revokes the cluster's token (after the pivot, or on deletion). Idempotent. */
  release(clusterName: string): Promise<void>;
}

/** Progress of a pivot as the pivot hand-off reports it. */
export type PivotProgress = "done" | "in-progress";

/**
 * Hands a provisioned cluster to the pivot: called on every reconcile once the control
 * plane is ready, until it answers `done`. Must be idempotent and must not block for long
 * (start work in the background and answer `in-progress`).
 */
export type PivotHandoff = (cluster: ClusterObject) => Promise<PivotProgress>;

/** The cell this operator runs as, for cell mode. */
export interface CellIdentity {
  /** Base URL of the bootstrap webhook children call. */
  url: string;
  /** PEM of the CA children pin when calling it. */
  caBundlePem: string;
}

/** Where delivering the spec to a pivoted child stands (see lib/childsync). */
export type ChildSyncState =
  | { state: "synced" | "sending" | "disconnected" | "unknown"; hash: string }
  | { state: "failed"; hash: string; error: string };

/** Where moving a pivoted child's CAPI objects back stands, as its agent reports it. */
export type UnpivotState =
  | { state: "disconnected" }
  | { state: "refused" | "failed"; message: string }
  | { state: "running" | "done"; phase: string; message: string };

/**
 * The cell's link to its pivoted children, for the controller: spec down, heartbeat age,
 * the unpivot on deletion, and revoking the agent of a deleted child.
 */
export interface ChildLink {
  /** Offers the copy's spec as desired; sent when the child reports a different hash. */
  offerSpec(clusterName: string, spec: Record<string, unknown>, generation: number): ChildSyncState;
  /** Stops syncing (the copy is being deleted). */
  forget(clusterName: string): void;
  /** Time of the last heartbeat this cell received, if the agent connected since it started. */
  lastHeartbeat(clusterName: string): Date | undefined;
  /** Sends UnpivotCommand and answers the child's progress (idempotent, re-sent each pass). */
  unpivot(clusterName: string, unpivotId: string): Promise<UnpivotState>;
  /**
   * After a deleted child's infrastructure is gone: make its agent certificate unusable.
   * HOOK for the certificate revocation (#25); see docs/gitops.md.
   */
  revokeAgent(clusterName: string): Promise<void>;
  /** A silent agent's view is stale after this long (N heartbeat intervals). */
  staleAfterMs: number;
}
