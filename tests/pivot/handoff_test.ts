import assert from "node:assert/strict";
import type { PivotClient } from "../../lib/pivot/_client.ts";
import { createPivotHandoff } from "../../lib/pivot/handoff.ts";
import { memoryProgressStore } from "../../lib/pivot/progress.ts";
import type { PivotResult, PivotScope } from "../../lib/pivot/source.ts";
import type { PivotTransport } from "../../lib/pivot/types.ts";

const transport = {} as PivotTransport;
const cluster = { metadata: { name: "alpha" } };

Deno.test("the hand-off runs one pivot at a time in the background and reports done", async () => {
  const scopes: PivotScope[] = [];
  let release!: () => void;
  let results: PivotResult[] = [
    { done: false, phase: "Pausing", pivotId: "p1", requeueAfterMs: 5_000 },
    { done: true, phase: "Done", pivotId: "p1" },
  ];
  let clock = 0;
  const handoff = createPivotHandoff({
    client: {} as PivotClient,
    transportFor: () => transport,
    progressFor: () => memoryProgressStore(),
    now: () => new Date(clock),
    run: async (scope) => {
      scopes.push(scope);
      await new Promise<void>((r) => (release = r));
      const [next, ...rest] = results;
      results = rest;
      return next;
    },
  });
  assert.equal(await handoff.handoff(cluster), "in-progress");
  assert.equal(
    await handoff.handoff(cluster),
    "in-progress",
    "no second run while one is in flight",
  );
  assert.equal(scopes.length, 1);
  assert.equal(scopes[0].namespace, "capi-alpha");
  release();
  await handoff.idle();
  assert.equal(await handoff.handoff(cluster), "in-progress", "blocked: waits requeueAfterMs");
  assert.equal(scopes.length, 1);
  clock += 5_000;
  assert.equal(await handoff.handoff(cluster), "in-progress");
  release();
  await handoff.idle();
  assert.equal(await handoff.handoff(cluster), "done");
  assert.equal(scopes.length, 2);
});

Deno.test("without an agent, only a persisted Done counts", async () => {
  const store = memoryProgressStore();
  const handoff = createPivotHandoff({
    client: {} as PivotClient,
    transportFor: () => undefined,
    progressFor: () => store,
    run: () => Promise.reject(new Error("must not run")),
  });
  assert.equal(await handoff.handoff(cluster), "in-progress");
  await store.save({
    phase: "Done",
    pivotId: "p",
    batchesAcked: 1,
    startedAt: "2026-01-01T00:00:00Z",
  });
  assert.equal(await handoff.handoff(cluster), "done");
});

Deno.test("a failed attempt is logged and retried on the next call", async () => {
  let calls = 0;
  const handoff = createPivotHandoff({
    client: {} as PivotClient,
    transportFor: () => transport,
    progressFor: () => memoryProgressStore(),
    run: () => {
      calls++;
      return calls === 1
        ? Promise.reject(new Error("stream down"))
        : Promise.resolve({ done: true, phase: "Done", pivotId: "p" });
    },
  });
  assert.equal(await handoff.handoff(cluster), "in-progress");
  await handoff.idle();
  assert.equal(await handoff.handoff(cluster), "in-progress");
  await handoff.idle();
  assert.equal(await handoff.handoff(cluster), "done");
  assert.equal(calls, 2);
});
