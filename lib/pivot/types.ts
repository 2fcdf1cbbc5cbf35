/**
 * The pivot's vocabulary: the labels and annotations it honours or sets, object identities,
 * and the transport-level messages between the cell (source) and the agent (target).
 */
import type { KubeObject } from "../kube/types.ts";

/** clusterctl: an object (or every object of a CRD) labelled so is moved. */
export const MOVE_LABEL = "clusterctl.cluster.x-k8s.io/move";
/** clusterctl: an object (or CRD) labelled so is moved with all its dependents. */
export const MOVE_HIERARCHY_LABEL = "clusterctl.cluster.x-k8s.io/move-hierarchy";
/** clusterctl: while an object carries this annotation the move must not start. */
export const BLOCK_MOVE_ANNOTATION = "clusterctl.cluster.x-k8s.io/block-move";
/** clusterctl: set on source objects about to be deleted by a move (webhooks read it). */
export const DELETE_FOR_MOVE_ANNOTATION = "clusterctl.cluster.x-k8s.io/delete-for-move";
/** The label clusterctl puts on provider CRDs; its CRDs are the types a pivot moves. */
export const PROVIDER_LABEL = "cluster.x-k8s.io/provider";
/** The label naming the Cluster an object belongs to. */
export const CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name";
/** The annotation that pauses a ClusterClass (Clusters use spec.paused). */
export const PAUSED_ANNOTATION = "cluster.x-k8s.io/paused";
/**
 * Set (value: the pivot id) on every Cluster/ClusterClass the pivot paused, so only what
 * the pivot paused is ever unpaused: a Cluster a person paused stays paused on both sides.
 * A label, not an annotation, so either side can find them with a selector after a crash.
 */
export const PIVOT_PAUSED_LABEL = "lattice.dev/pivot-paused";

/** The Cluster API core group. */
export const CAPI_GROUP = "cluster.x-k8s.io";
/** The Cluster API addons group (ClusterResourceSet). */
export const ADDONS_GROUP = "addons.cluster.x-k8s.io";

/** Names one object without its UID (UIDs differ between source and target). */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

/** One object of a batch, with its depth in the owner graph (owners have smaller levels). */
export interface PivotEntry {
  /** Objects of one level never own each other, so the target may create them concurrently. */
  level: number;
  /** The source object without server-set fields; ownerReferences still hold source UIDs. */
  object: KubeObject;
}

/** One bounded, idempotent slice of the move graph, in owners-first order. */
export interface PivotBatch {
  pivotId: string;
  clusterName: string;
  namespace: string;
  /** 0-based position of this batch. */
  index: number;
  /** Number of batches in this attempt. */
  total: number;
  entries: PivotEntry[];
}

/** The target's answer to a batch: every object of it now exists on the target. */
export interface PivotAck {
  pivotId: string;
  index: number;
  /** Objects created by this delivery. */
  created: number;
  /** Objects that already existed (an earlier delivery of the same batch, or a resume). */
  existing: number;
}

/** Tells the target that every batch is there: unpause its copies and take over. */
export interface PivotCompleteRequest {
  pivotId: string;
  clusterName: string;
  namespace: string;
}

/** The target's answer to {@linkcode PivotCompleteRequest}. */
export interface PivotCompleteResult {
  pivotId: string;
  /** Clusters and ClusterClasses unpaused by this call (0 when repeated). */
  unpaused: number;
}

/** Tells the target to delete the paused copies of a pivot the cell rolled back. */
export interface PivotAbortRequest {
  pivotId: string;
  clusterName: string;
  namespace: string;
  reason: string;
}

/** The target's answer to {@linkcode PivotAbortRequest}. */
export interface PivotAbortResult {
  pivotId: string;
  /** Objects deleted by this call. */
  deleted: number;
}

/**
 * How the cell reaches the agent. Every call may be retried with the same arguments: the
 * target treats repeats as no-ops. A call that fails must throw.
 */
export interface PivotTransport {
  /** Delivers one batch; resolves once every object of it exists on the target. */
  sendBatch(batch: PivotBatch): Promise<PivotAck>;
  /** Unpauses the target's copies (the commit point of the pivot). */
  complete(request: PivotCompleteRequest): Promise<PivotCompleteResult>;
  /** Deletes the target's paused copies after a rollback. */
  abort(request: PivotAbortRequest): Promise<PivotAbortResult>;
}

/** `group` of an apiVersion (`""` for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** `Kind ns/name` for messages. */
export function describeObject(obj: KubeObject | ObjectIdentity): string {
  const id = "metadata" in obj && obj.metadata
    ? { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name }
    : obj as ObjectIdentity;
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ""}${id.name}`;
}
