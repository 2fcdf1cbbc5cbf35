/**
 * A pivot batch on the stream: the proto's PivotBatch (cluster, namespace, entries with
 * their level) is the only wire type; each entry's object is Kubernetes JSON (like a
 * RawExtension), checked at this boundary before anything reaches the target's apiserver.
 */
import { Buffer } from "node:buffer";
import type { KubeObject } from "../kube/types.ts";
import type { PivotBatch as WireBatch } from "../proto/lattice/agent/v1/agent.ts";
import type { PivotBatch, PivotEntry } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The proto message of a batch. */
export function toWireBatch(batch: PivotBatch): WireBatch {
  return {
    pivotId: batch.pivotId,
    batchIndex: batch.index,
    totalBatches: batch.total,
    final: batch.index === batch.total - 1,
    clusterName: batch.clusterName,
    namespace: batch.namespace,
    entries: batch.entries.map((e) => ({
      level: e.level,
      objectJson: Buffer.from(encoder.encode(JSON.stringify(e.object))),
    })),
  };
}

/** A batch from its proto message; throws naming the batch and entry when one is malformed. */
export function fromWireBatch(wire: WireBatch): PivotBatch {
  const what = `Cannot decode pivot batch ${wire.batchIndex}`;
  if (!wire.namespace) throw new Error(`${what}: no namespace`);
  if (!wire.clusterName) throw new Error(`${what}: no cluster name`);
  const entries = wire.entries.map((e, i): PivotEntry => {
    let object: unknown;
    try {
      object = JSON.parse(decoder.decode(e.objectJson));
    } catch (cause) {
      throw new Error(`${what}: entry ${i} is not JSON`, { cause });
    }
    if (!isObject(object)) {
      throw new Error(`${what}: entry ${i} is not a Kubernetes object (apiVersion, kind, name)`);
    }
    return { level: e.level, object };
  });
  return {
    pivotId: wire.pivotId,
    clusterName: wire.clusterName,
    namespace: wire.namespace,
    index: wire.batchIndex,
    total: wire.totalBatches ?? 0,
    entries,
  };
}

function isObject(value: unknown): value is KubeObject {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const o = value as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  return typeof o.apiVersion === "string" && typeof o.kind === "string" &&
    typeof o.metadata === "object" && o.metadata !== null && typeof o.metadata.name === "string";
}
