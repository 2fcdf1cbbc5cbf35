import assert from "node:assert/strict";
import { backoffDelay, reconnectDelay, sleep } from "../../lib/agent/mod.ts";

Deno.test("backoff doubles from the initial delay up to the cap, with equal jitter", () => {
  const opts = { initialMs: 100, maxMs: 1_000 };
  const low = [0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, { ...opts, random: () => 0 }));
  const high = [0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, { ...opts, random: () => 1 }));
  assert.deepEqual(low, [50, 100, 200, 400, 500, 500]);
  assert.deepEqual(high, [100, 200, 400, 800, 1_000, 1_000]);
});

Deno.test("backoff defaults: 1 s first, never above 2 min, finite for huge attempts", () => {
  assert.equal(backoffDelay(0, { random: () => 1 }), 1_000);
  assert.equal(backoffDelay(5_000, { random: () => 1 }), 120_000);
  assert.equal(backoffDelay(5_000, { random: () => 0 }), 60_000);
});

Deno.test("sleep ends early when aborted", async () => {
  const stop = new AbortController();
  const start = performance.now();
  const slept = sleep(60_000, stop.signal);
  stop.abort();
  await slept;
  assert.ok(performance.now() - start < 1_000);
});

Deno.test("a lost stream's first retry is spread uniformly over 10 × initialMs, or spreadMs", () => {
  assert.equal(reconnectDelay({ random: () => 0 }), 0);
  assert.equal(reconnectDelay({ random: () => 0.5 }), 5_000);
  assert.equal(reconnectDelay({ initialMs: 50, random: () => 0.999 }), 500);
  assert.equal(reconnectDelay({ spreadMs: 2_000, random: () => 0.25 }), 500);
});
