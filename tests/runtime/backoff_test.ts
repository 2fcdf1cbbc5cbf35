import assert from "node:assert/strict";
import { Backoff, ManualClock, sleep } from "../../lib/runtime/mod.ts";

Deno.test("backoff doubles to its cap, jitters, and resets after a quiet period", () => {
  const clock = new ManualClock();
  const b = new Backoff({
    initialMs: 100,
    maxMs: 1000,
    jitter: 0,
    resetAfterMs: 5000,
    clock,
  });
  const delays = Array.from({ length: 6 }, () => b.next());
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
  clock.advance(5000);
  assert.equal(b.next(), 100, "reset after a quiet period");
  const jittery = new Backoff({ initialMs: 100, jitter: 0.5, clock, random: () => 0 });
  assert.equal(jittery.next(), 50);
  const high = new Backoff({ initialMs: 100, jitter: 0.5, clock, random: () => 0.999999 });
  assert.ok(high.next() > 149);
});

Deno.test("sleep on a manual clock resolves on advance and rejects on abort", async () => {
  const clock = new ManualClock();
  let done = false;
  const p = sleep(clock, 100).then(() => done = true);
  clock.advance(99);
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(1);
  await p;
  assert.equal(done, true);
  const abort = new AbortController();
  const q = sleep(clock, 100, abort.signal);
  abort.abort(new Error("stop"));
  await assert.rejects(q, /stop/);
  assert.equal(clock.pending, 0);
});
