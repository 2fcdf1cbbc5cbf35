import assert from "node:assert/strict";
import { ManualClock, RuntimeMetrics, WorkQueue } from "../../lib/runtime/mod.ts";

function setup() {
  const clock = new ManualClock(1000);
  const metrics = new RuntimeMetrics();
  const queue = new WorkQueue({ name: "q", clock, metrics, baseDelayMs: 10, maxDelayMs: 100 });
  return { clock, metrics, queue };
}

Deno.test("add deduplicates queued keys and keeps FIFO order", async () => {
  const { queue } = setup();
  queue.add("a");
  queue.add("b");
  queue.add("a");
  assert.equal(queue.length, 2);
  assert.equal(await queue.get(), "a");
  assert.equal(await queue.get(), "b");
  assert.equal(queue.length, 0);
});

Deno.test("a key is never handed to two workers; re-added while processing runs again after", async () => {
  const { queue } = setup();
  queue.add("a");
  const key = await queue.get();
  assert.equal(key, "a");
  queue.add("a");
  assert.equal(queue.length, 0, "not queued while processing");
  let second: string | undefined;
  const waiting = queue.get().then((k) => second = k);
  await Promise.resolve();
  assert.equal(second, undefined, "blocked until done");
  queue.done("a");
  await waiting;
  assert.equal(second, "a");
  queue.done("a");
  assert.equal(queue.processing, 0);
});

Deno.test("a waiting getter receives a newly added key", async () => {
  const { queue } = setup();
  const got = queue.get();
  queue.add("x");
  assert.equal(await got, "x");
});

Deno.test("addAfter fires on the injected clock and the earliest delay wins", async () => {
  const { queue, clock } = setup();
  queue.addAfter("a", 500);
  queue.addAfter("a", 200);
  queue.addAfter("a", 900);
  clock.advance(199);
  assert.equal(queue.length, 0);
  clock.advance(1);
  assert.equal(queue.length, 1);
  assert.equal(await queue.get(), "a");
  queue.done("a");
  clock.advance(1000);
  assert.equal(queue.length, 0, "later delays were folded into the earliest");
  assert.equal(clock.pending, 0, "no timer left armed");
});

Deno.test("addRateLimited backs off exponentially per key, capped, and forget resets", async () => {
  const { queue, clock } = setup();
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    const before = clock.now();
    queue.addRateLimited("k");
    let waited = 0;
    while (queue.length === 0 && waited < 1000) {
      clock.advance(1);
      waited++;
    }
    delays.push(waited);
    assert.ok(clock.now() - before === waited);
    // Drain it so the next add is not deduplicated.
    queue.done((await queue.get())!);
  }
  assert.deepEqual(delays, [10, 20, 40, 80, 100, 100]);
  assert.equal(queue.retries("k"), 6);
  queue.forget("k");
  assert.equal(queue.retries("k"), 0);
  assert.equal(queue.backoffFor(0), 10);
  assert.equal(queue.retries("other"), 0, "backoff is per key");
});

Deno.test("shutDown releases waiting getters; shutDownWithDrain waits for in-flight keys", async () => {
  const { queue } = setup();
  queue.add("a");
  queue.add("b");
  const a = await queue.get();
  assert.equal(await queue.get(), "b");
  const idle = queue.get();
  let drained = false;
  const drain = queue.shutDownWithDrain().then(() => drained = true);
  assert.equal(await idle, undefined, "a waiting getter is released");
  assert.equal(await queue.get(), undefined);
  queue.add("c");
  assert.equal(queue.length, 0, "adds are ignored after shutdown");
  await Promise.resolve();
  assert.equal(drained, false);
  queue.done(a!);
  queue.done("b");
  await drain;
  assert.equal(drained, true);
});

Deno.test("metrics track depth, adds, latency and retries", async () => {
  const { queue, clock, metrics } = setup();
  const Q = { name: "q", controller: "q" };
  // Every series exists at zero before the first add (controller-runtime's convention).
  const text = metrics.registry.render();
  for (
    const series of [
      'workqueue_depth{controller="q",name="q"} 0',
      'workqueue_adds_total{controller="q",name="q"} 0',
      'workqueue_retries_total{controller="q",name="q"} 0',
      'workqueue_queue_duration_seconds_count{controller="q",name="q"} 0',
    ]
  ) assert.ok(text.includes(series), series);
  queue.add("a");
  queue.add("b");
  assert.equal(metrics.queueDepth.get(Q), 2);
  clock.advance(250);
  await queue.get();
  assert.equal(metrics.queueDepth.get(Q), 1);
  assert.equal(metrics.queueAdds.get(Q), 2);
  assert.equal(metrics.queueLatency.count(Q), 1);
  queue.done("a");
  assert.equal(metrics.queueWork.count(Q), 1);
  queue.addRateLimited("c");
  assert.equal(metrics.queueRetries.get(Q), 1);
  queue.shutDown();
});
