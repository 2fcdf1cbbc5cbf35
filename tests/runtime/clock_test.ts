import assert from "node:assert/strict";
import {
  CancelledError,
  DeadlineExceeded,
  deadlineSignal,
  every,
  ManualClock,
  messageOf,
  pause,
  reasonOf,
  retry,
  RetryableError,
  TerminalError,
  valueWithin,
  withDeadline,
} from "../../lib/runtime/mod.ts";
import { ApiError } from "../../lib/kube/errors.ts";

Deno.test("every: runs each period until stopped or aborted, on the injected clock", () => {
  const clock = new ManualClock();
  let ticks = 0;
  const stop = every(clock, 100, () => ticks++);
  clock.advance(350);
  assert.equal(ticks, 3);
  stop();
  clock.advance(1_000);
  assert.equal(ticks, 3);
  assert.equal(clock.pending, 0);
  const abort = new AbortController();
  every(clock, 100, () => ticks++, abort.signal);
  clock.advance(100);
  abort.abort();
  clock.advance(1_000);
  assert.equal(ticks, 4);
  assert.equal(clock.pending, 0, "no timer outlives an abort");
});

Deno.test("withDeadline: the deadline or the signal, whichever comes first; timer cleared", async () => {
  const clock = new ManualClock();
  const late = withDeadline(new Promise(() => {}), 500, "wait", { clock });
  clock.advance(500);
  await assert.rejects(late, DeadlineExceeded);
  assert.equal(clock.pending, 0);
  const abort = new AbortController();
  const cut = withDeadline(new Promise(() => {}), 500, "wait", { clock, signal: abort.signal });
  abort.abort(new CancelledError("shutting down"));
  await assert.rejects(cut, CancelledError);
  assert.equal(clock.pending, 0);
  assert.equal(await withDeadline(Promise.resolve(3), 500, "wait", { clock }), 3);
  assert.equal(await valueWithin(new Promise<number>(() => {}), 0, 9, clock), 9);
});

Deno.test("deadlineSignal aborts on time or with its parent; cancel frees the timer", () => {
  const clock = new ManualClock();
  const timed = deadlineSignal(200, "answer", { clock });
  clock.advance(199);
  assert.equal(timed.signal.aborted, false);
  clock.advance(1);
  assert.ok(timed.signal.reason instanceof DeadlineExceeded);
  const parent = new AbortController();
  const child = deadlineSignal(200, "answer", { clock, parent: parent.signal });
  parent.abort(new Error("term over"));
  assert.match((child.signal.reason as Error).message, /term over/);
  child.cancel();
  const freed = deadlineSignal(200, "answer", { clock });
  freed.cancel();
  assert.equal(clock.pending, 0);
});

Deno.test("pause resolves early on abort; retry stops when its signal aborts", async () => {
  const clock = new ManualClock();
  const abort = new AbortController();
  const waiting = pause(clock, 10_000, abort.signal);
  abort.abort();
  await waiting;
  let calls = 0;
  const stop = new AbortController();
  await assert.rejects(
    retry(
      () => {
        calls++;
        stop.abort();
        return Promise.reject(new Error("busy"));
      },
      () => ({ transient: true }),
      { clock, signal: stop.signal },
    ),
    /busy/,
  );
  assert.equal(calls, 1);
});

Deno.test("reasonOf: typed errors, API Status reasons, deadlines, aborts", () => {
  assert.equal(reasonOf(new RetryableError("x", { reason: "NotReadyYet" })), "NotReadyYet");
  assert.equal(reasonOf(new RetryableError("x")), "RetryableError");
  assert.equal(reasonOf(new TerminalError("x")), "TerminalError");
  assert.equal(reasonOf(new ApiError(409, "conflict")), "Conflict");
  assert.equal(reasonOf(new ApiError(422, "bad", { reason: "Invalid" })), "Invalid");
  assert.equal(reasonOf(new DeadlineExceeded("x", 5)), "Timeout");
  assert.equal(reasonOf(new DOMException("gone", "AbortError")), "Cancelled");
  assert.equal(reasonOf(new Error("boom")), "ReconcileFailed");
  assert.equal(reasonOf("a string"), "ReconcileFailed");
  assert.equal(messageOf(new Error("x".repeat(5_000))).length, 1024);
});
