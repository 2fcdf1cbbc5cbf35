import assert from "node:assert/strict";
import { InProcessTransport } from "../../lib/pivot/in_process.ts";
import type { PivotTarget } from "../../lib/pivot/target.ts";
import type { PivotBatch } from "../../lib/pivot/types.ts";

function recordingTarget() {
  const seen: PivotBatch[] = [];
  const target = {
    applyBatch: (batch: PivotBatch) => {
      seen.push(batch);
      return Promise.resolve({
        pivotId: batch.pivotId,
        index: batch.index,
        created: 1,
        existing: 0,
      });
    },
    complete: (r: { pivotId: string }) => Promise.resolve({ pivotId: r.pivotId, unpaused: 1 }),
    abort: (r: { pivotId: string }) => Promise.resolve({ pivotId: r.pivotId, deleted: 0 }),
  };
  return { seen, target: target as unknown as PivotTarget };
}

const batch = (index: number): PivotBatch => ({
  pivotId: "p1",
  clusterName: "alpha",
  namespace: "capi-alpha",
  index,
  total: 2,
  entries: [{
    level: 0,
    object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "alpha-x" } },
  }],
});

Deno.test("the in-process transport copies batches like a wire and counts their bytes", async () => {
  const { seen, target } = recordingTarget();
  const transport = new InProcessTransport(target);
  const sent = batch(0);
  const ack = await transport.sendBatch(sent);
  assert.deepEqual(ack, { pivotId: "p1", index: 0, created: 1, existing: 0 });
  assert.deepEqual(seen[0], sent);
  assert.notEqual(seen[0].entries[0].object, sent.entries[0].object, "no shared references");
  assert.deepEqual(transport.batchObjects, [1]);
  assert.equal(transport.batchBytes[0], new TextEncoder().encode(JSON.stringify(sent)).length);
});

Deno.test("faults before delivery never reach the target; faults after lose only the ack", async () => {
  const { seen, target } = recordingTarget();
  const transport = new InProcessTransport(target, {
    fault: (point) => point === "batch:0:before" || point === "batch:1:after",
  });
  await assert.rejects(transport.sendBatch(batch(0)), /injected fault at batch:0:before/);
  assert.equal(seen.length, 0);
  await assert.rejects(transport.sendBatch(batch(1)), /injected fault at batch:1:after/);
  assert.equal(seen.length, 1, "applied, ack lost");
  assert.deepEqual(
    await transport.complete({ pivotId: "p1", clusterName: "alpha", namespace: "n" }),
    {
      pivotId: "p1",
      unpaused: 1,
    },
  );
});
