import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  batchesDigest,
  entryBytes,
  MAX_OBJECT_BYTES,
  moveEntries,
  sanitizeForMove,
  splitBatches,
} from "../../lib/pivot/batches.ts";
import { buildMoveGraph } from "../../lib/pivot/graph.ts";
import type { PivotEntry } from "../../lib/pivot/types.ts";
import { fromWireBatch, toWireBatch } from "../../lib/pivot/wire.ts";
import { PivotBatch as WireBatch } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { clusterFixture, withFakeUids } from "./fixtures.ts";

const entry = (name: string, bytes = 0): PivotEntry => ({
  level: 0,
  object: {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name },
    data: { x: "y".repeat(bytes) },
  },
});

Deno.test("sanitizeForMove strips server-set fields and keeps the rest", () => {
  const obj = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "alpha-ca",
      namespace: "ns",
      generateName: "alpha-",
      uid: "u",
      resourceVersion: "7",
      creationTimestamp: "2026-01-01T00:00:00Z",
      generation: 3,
      managedFields: [{}],
      annotations: { "clusterctl.cluster.x-k8s.io/delete-for-move": "" },
      labels: { a: "b" },
      finalizers: ["f"],
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "old" }],
    },
    data: { k: "dg==" },
    status: { ready: true },
  };
  const clean = sanitizeForMove(obj);
  assert.deepEqual(clean, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "alpha-ca",
      namespace: "ns",
      labels: { a: "b" },
      finalizers: ["f"],
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "old" }],
    },
    data: { k: "dg==" },
    status: { ready: true },
  });
  assert.equal(obj.metadata.uid, "u", "the input is not modified");
});

Deno.test("splitBatches bounds count and bytes and keeps order", () => {
  const entries = Array.from({ length: 10 }, (_, i) => entry(`cm-${i}`));
  assert.deepEqual(splitBatches(entries, { maxObjects: 4 }).map((b) => b.length), [4, 4, 2]);
  const big = Array.from({ length: 5 }, (_, i) => entry(`big-${i}`, 400));
  const size = entryBytes(big[0]);
  const batches = splitBatches(big, { maxBytes: size * 2 + 1 });
  assert.deepEqual(batches.map((b) => b.length), [2, 2, 1]);
  assert.deepEqual(
    batches.flat().map((e) => e.object.metadata!.name),
    big.map((e) => e.object.metadata!.name),
  );
  // One object over maxBytes travels alone rather than being refused.
  assert.deepEqual(splitBatches(big, { maxBytes: 10 }).map((b) => b.length), [1, 1, 1, 1, 1]);
});

Deno.test("splitBatches refuses an object that cannot fit a message", () => {
  assert.throws(() => splitBatches([entry("huge", MAX_OBJECT_BYTES)]), /over the \d+-byte limit/);
});

Deno.test("the digest changes exactly when batch boundaries change", async () => {
  const graph = buildMoveGraph(withFakeUids(clusterFixture("alpha", "ns")), {
    clusterName: "alpha",
    namespace: "ns",
  });
  const entries = moveEntries(graph.nodes);
  const a = await batchesDigest(splitBatches(entries, { maxObjects: 5 }));
  assert.equal(a, await batchesDigest(splitBatches(entries, { maxObjects: 5 })));
  assert.notEqual(a, await batchesDigest(splitBatches(entries, { maxObjects: 6 })));
  assert.notEqual(a, await batchesDigest(splitBatches(entries.slice(1), { maxObjects: 5 })));
  assert.match(a, /^[0-9a-f]{64}$/);
});

Deno.test("a batch survives the wire encoding", () => {
  const batch = {
    pivotId: "p1",
    clusterName: "alpha",
    namespace: "capi-alpha",
    index: 3,
    total: 9,
    entries: [entry("alpha-x", 10)],
  };
  // Through the proto's binary encoding, as the stream carries it.
  const bytes = WireBatch.encode(toWireBatch(batch)).finish();
  assert.deepEqual(fromWireBatch(WireBatch.decode(bytes)), batch);
  const wire = toWireBatch({ ...batch, index: 0 });
  assert.throws(
    () => fromWireBatch({ ...wire, namespace: "" }),
    /Cannot decode pivot batch 0: no namespace/,
  );
  wire.entries[0].objectJson = Buffer.from("{");
  assert.throws(() => fromWireBatch(wire), /Cannot decode pivot batch 0: entry 0 is not JSON/);
  wire.entries[0].objectJson = Buffer.from('{"kind":"Secret"}');
  assert.throws(() => fromWireBatch(wire), /entry 0 is not a Kubernetes object/);
});
