/**
 * Folder-internal: the cell's per-call helpers of runPivot (ids, sending one batch).
 */
import { DeadlineExceeded, withDeadline } from "./_deadline.ts";
import type { PivotEntry, PivotTransport } from "./types.ts";

/** The part of PivotScope the helpers need. */
export interface SendScope {
  clusterName: string;
  namespace: string;
  transport: PivotTransport;
}

/** A new attempt id: time + random, valid as a label value. */
export function defaultPivotId(now: Date): string {
  const random = crypto.getRandomValues(new Uint8Array(4));
  return `p${now.getTime().toString(36)}-${
    [...random].map((b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}

/** Cluster name and namespace, as every transport message carries them. */
export function clusterIds(scope: SendScope): { clusterName: string; namespace: string } {
  return { clusterName: scope.clusterName, namespace: scope.namespace };
}

/** Sends batch `index`; "timeout" when no ack came within `remainingMs`. */
export async function sendBatch(
  scope: SendScope,
  pivotId: string,
  index: number,
  batches: PivotEntry[][],
  remainingMs: number,
  signal?: AbortSignal,
): Promise<"ok" | "timeout"> {
  const batch = {
    pivotId,
    ...clusterIds(scope),
    index,
    total: batches.length,
    entries: batches[index],
  };
  const ack = await withDeadline(
    scope.transport.sendBatch(batch),
    remainingMs,
    `send batch ${index}`,
    { signal },
  )
    .catch((error) => {
      if (error instanceof DeadlineExceeded) return "timeout" as const;
      throw error;
    });
  if (ack === "timeout") return ack;
  if (ack.pivotId !== pivotId || ack.index !== index) {
    throw new Error(
      `Cannot send batch ${index}: the child acknowledged ${ack.pivotId} batch ${ack.index}`,
    );
  }
  return "ok";
}
