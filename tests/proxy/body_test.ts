import assert from "node:assert/strict";
import { BodyBudget, limitedBodyStream } from "../../lib/proxy/body.ts";
import { StatusError } from "../../lib/cell/errors.ts";

function chunks(sizes: number[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const size of sizes) controller.enqueue(new Uint8Array(size));
      controller.close();
    },
  });
}

Deno.test("limitedBodyStream holds one chunk of the budget at a time", async () => {
  const budget = new BodyBudget({ maxBytes: 1000 });
  const reader = limitedBodyStream(chunks([400, 300, 200]), { limit: 2000, budget }).getReader();
  const held: number[] = [];
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    held.push(budget.used);
    assert.equal(budget.used, value.length);
  }
  assert.deepEqual(held, [400, 300, 200]);
  assert.equal(budget.used, 0);
});

Deno.test("limitedBodyStream refuses past the limit (413) and gives the budget back", async () => {
  const budget = new BodyBudget({ maxBytes: 10_000 });
  const reader = limitedBodyStream(chunks([60, 60]), { limit: 100, budget }).getReader();
  await reader.read();
  await assert.rejects(reader.read(), (e) => e instanceof StatusError && e.code === 413);
  assert.equal(budget.used, 0);
});

Deno.test("limitedBodyStream answers 503 when the shared budget is spent", async () => {
  const budget = new BodyBudget({ maxBytes: 100 });
  assert.ok(budget.take(90));
  const reader = limitedBodyStream(chunks([50]), { limit: 1000, budget }).getReader();
  await assert.rejects(reader.read(), (e) => e instanceof StatusError && e.code === 503);
  assert.equal(budget.used, 90);
});

Deno.test("limitedBodyStream answers 408 when the body does not end in time", async () => {
  const budget = new BodyBudget();
  const never = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
  const reader = limitedBodyStream(never, { limit: 1000, budget, timeoutMs: 50 }).getReader();
  await assert.rejects(reader.read(), (e) => e instanceof StatusError && e.code === 408);
});

Deno.test("limitedBodyStream: cancelling gives the held chunk back", async () => {
  const budget = new BodyBudget();
  const reader = limitedBodyStream(chunks([70, 70]), { limit: 1000, budget }).getReader();
  await reader.read();
  assert.equal(budget.used, 70);
  await reader.cancel();
  assert.equal(budget.used, 0);
});
