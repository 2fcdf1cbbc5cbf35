import assert from "node:assert/strict";
import {
  memoryProgressStore,
  PIVOTED_CONDITION,
  type PivotProgress,
} from "../../lib/pivot/progress.ts";

const progress: PivotProgress = {
  phase: "Sending",
  pivotId: "p1",
  batchesAcked: 2,
  startedAt: "2026-01-01T00:00:00Z",
};

Deno.test("the memory store returns copies and records conditions with transition times", async () => {
  const store = memoryProgressStore({ now: () => new Date("2026-01-01T00:05:00Z") });
  assert.equal(await store.load(), undefined);
  await store.save(progress);
  const loaded = await store.load();
  assert.deepEqual(loaded, progress);
  loaded!.batchesAcked = 99;
  assert.equal((await store.load())!.batchesAcked, 2, "callers cannot mutate the stored copy");
  await store.save({ ...progress, phase: "Aborted" }, {
    type: PIVOTED_CONDITION,
    status: "False",
    reason: "PivotRolledBack",
    message: "timed out",
  });
  assert.deepEqual(store.conditions, [{
    type: "Pivoted",
    status: "False",
    reason: "PivotRolledBack",
    message: "timed out",
    lastTransitionTime: "2026-01-01T00:05:00Z",
  }]);
  assert.deepEqual(store.history.map((p) => p.phase), ["Sending", "Aborted"]);
});
