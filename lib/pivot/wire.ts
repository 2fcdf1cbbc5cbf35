/**
 * The bytes of a batch on the stream: PivotBatch.objects carries this JSON body (entries,
 * cluster name and namespace); pivot id, index and total travel in the proto fields.
 */
import type { PivotBatch, PivotEntry } from "./types.ts";

/** The JSON body carried in PivotBatch.objects. */
export interface BatchBody {
  clusterName: string;
  namespace: string;
  entries: PivotEntry[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes the body of a batch for PivotBatch.objects. */
export function encodeBatchBody(batch: PivotBatch): Uint8Array {
  const body: BatchBody = {
    clusterName: batch.clusterName,
    namespace: batch.namespace,
    entries: batch.entries,
  };
  return encoder.encode(JSON.stringify(body));
}

/** Rebuilds a batch from PivotBatch fields; throws on a body that is not a batch. */
export function decodeBatch(
  bytes: Uint8Array,
  fields: { pivotId: string; index: number; total: number },
): PivotBatch {
  let body: BatchBody;
  try {
    body = JSON.parse(decoder.decode(bytes)) as BatchBody;
  } catch (cause) {
    throw new Error(`Cannot decode pivot batch ${fields.index}: not JSON`, { cause });
  }
  if (!body || typeof body.namespace !== "string" || !Array.isArray(body.entries)) {
    throw new Error(`Cannot decode pivot batch ${fields.index}: no namespace or entries`);
  }
  return {
    ...fields,
    clusterName: body.clusterName,
    namespace: body.namespace,
    entries: body.entries,
  };
}
