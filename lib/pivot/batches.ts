/**
 * Pure helpers between the graph and the wire: stripping server-set fields, splitting the
 * ordered objects into batches bounded by count and bytes, and a digest of the graph so a
 * resumed pivot knows whether the batches it already delivered are still the same.
 */
import type { KubeObject } from "../kube/types.ts";
import type { MoveNode } from "./graph.ts";
import { DELETE_FOR_MOVE_ANNOTATION, describeObject, type PivotEntry } from "./types.ts";

/** Batch bounds. gRPC's default message limit is 4 MiB; stay well under it. */
export interface BatchLimits {
  /** Most objects per batch; default 250. */
  maxObjects?: number;
  /** Most encoded bytes per batch; default 1 MiB. */
  maxBytes?: number;
}

/** Default most objects per batch. */
export const DEFAULT_MAX_BATCH_OBJECTS = 250;
/** Default most encoded bytes per batch. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
/** No single object may exceed this once encoded (it must fit a 4 MiB message alone). */
export const MAX_OBJECT_BYTES = 3 * 1024 * 1024;

const SERVER_SET = [
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "managedFields",
  "generation",
  "selfLink",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
] as const;

/**
 * A copy of `obj` without the fields the apiserver sets (a create must not carry them).
 * ownerReferences keep their source UIDs: the target rewrites them by kind/namespace/name.
 */
export function sanitizeForMove(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  const meta = copy.metadata ?? {};
  for (const field of SERVER_SET) delete meta[field];
  // A named object with generateName makes a repeated create time out instead of
  // answering AlreadyExists (kubernetes/kubernetes#32220); the name wins.
  if (meta.name && meta.generateName) delete meta.generateName;
  if (meta.annotations) {
    delete meta.annotations[DELETE_FOR_MOVE_ANNOTATION];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  copy.metadata = meta;
  return copy;
}

const encoder = new TextEncoder();

/** Encoded size of one entry in bytes (JSON, as the wire carries it). */
export function entryBytes(entry: PivotEntry): number {
  return encoder.encode(JSON.stringify(entry)).length;
}

/** The entries of a move, in order, without server-set fields. */
export function moveEntries(nodes: readonly MoveNode[]): PivotEntry[] {
  return nodes.map((n) => ({ level: n.level, object: sanitizeForMove(n.object) }));
}

/**
 * Splits ordered entries into consecutive batches of at most `maxObjects` entries and
 * `maxBytes` encoded bytes (a single larger object travels alone). Order is preserved, so
 * every owner still arrives in the same or an earlier batch than its dependents.
 */
export function splitBatches(
  entries: readonly PivotEntry[],
  limits: BatchLimits = {},
): PivotEntry[][] {
  const maxObjects = limits.maxObjects ?? DEFAULT_MAX_BATCH_OBJECTS;
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BATCH_BYTES;
  if (maxObjects < 1 || maxBytes < 1) {
    throw new Error(
      `Cannot split batches: limits must be positive (got ${maxObjects}, ${maxBytes})`,
    );
  }
  const batches: PivotEntry[][] = [];
  let current: PivotEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (size > MAX_OBJECT_BYTES) {
      throw new Error(
        `Cannot split batches: ${describeObject(entry.object)} is ${size} bytes encoded, ` +
          `over the ${MAX_OBJECT_BYTES}-byte limit`,
      );
    }
    if (current.length > 0 && (current.length >= maxObjects || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * SHA-256 (hex) of the batch boundaries (each batch's ordered identities): equal digests
 * mean a resumed attempt cut exactly the same batches, so acknowledged ones can be skipped.
 */
export async function batchesDigest(batches: readonly PivotEntry[][]): Promise<string> {
  const text = JSON.stringify(
    batches.map((batch) =>
      batch.map(({ level, object }) => [
        level,
        object.apiVersion,
        object.kind,
        object.metadata?.namespace,
        object.metadata?.name,
      ])
    ),
  );
  const hash = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
