import assert from "node:assert/strict";
import { DeadlineExceeded, withDeadline } from "../../lib/pivot/_deadline.ts";

Deno.test("withDeadline passes a prompt answer through and clears its timer", async () => {
  assert.equal(await withDeadline(Promise.resolve(7), 10_000, "answer"), 7);
  await assert.rejects(withDeadline(Promise.reject(new Error("boom")), 10_000, "answer"), /boom/);
});

Deno.test("withDeadline rejects when the time is up", async () => {
  await assert.rejects(withDeadline(new Promise(() => {}), 0, "wait"), DeadlineExceeded);
  let resolve!: (v: number) => void;
  const slow = new Promise<number>((r) => (resolve = r));
  const raced = withDeadline(slow, 5, "wait for slow");
  await assert.rejects(raced, /Cannot wait for slow: no answer within 5 ms/);
  resolve(1);
});
