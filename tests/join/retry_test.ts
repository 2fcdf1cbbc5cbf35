import assert from "node:assert/strict";
import { classifyApplyError, RegisterError, retry } from "../../lib/join/mod.ts";
import { ApiError } from "../../lib/kube/errors.ts";
import { explainJoinFailure } from "../../lib/cli/commands/join.ts";

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: (ms: number) => (waits.push(ms), Promise.resolve()), random: () => 1 };
}

Deno.test("retry backs off exponentially up to the bound, then throws the last error", async () => {
  const r = recorder();
  let calls = 0;
  await assert.rejects(
    retry(
      () => {
        calls++;
        return Promise.reject(new Error(`fail ${calls}`));
      },
      () => ({ transient: true }),
      { ...r, attempts: 5, baseDelayMs: 100, maxDelayMs: 500 },
    ),
    /fail 5/,
  );
  assert.equal(calls, 5);
  assert.deepEqual(r.waits, [100, 200, 400, 500]);
});

Deno.test("retry stops at once on a permanent error and honours Retry-After", async () => {
  const r = recorder();
  let calls = 0;
  await assert.rejects(
    retry(
      () => {
        calls++;
        return Promise.reject(new RegisterError(401, "no"));
      },
      (e) => ({ transient: (e as RegisterError).transient }),
      r,
    ),
    /no/,
  );
  assert.equal(calls, 1);
  const value = await retry(
    (attempt) => attempt < 2 ? Promise.reject(new Error("x")) : Promise.resolve("ok"),
    () => ({ transient: true, retryAfterMs: 7000 }),
    { ...r, baseDelayMs: 10 },
  );
  assert.equal(value, "ok");
  assert.deepEqual(r.waits, [7000]);
});

Deno.test("which failures are transient", () => {
  assert.ok(new RegisterError(0, "net").transient);
  assert.ok(new RegisterError(503, "x").transient);
  assert.ok(new RegisterError(429, "x").transient);
  assert.ok(new RegisterError(409, "busy").transient);
  assert.ok(!new RegisterError(401, "x").transient);
  assert.ok(!new RegisterError(400, "x").transient);
  assert.ok(classifyApplyError(new ApiError(500, "x")).transient);
  assert.ok(classifyApplyError(new ApiError(409, "x")).transient);
  assert.ok(!classifyApplyError(new ApiError(422, "x")).transient);
  assert.ok(!classifyApplyError(new ApiError(403, "x")).transient);
  assert.equal(
    classifyApplyError(new ApiError(429, "x", { retryAfterSeconds: 3 })).retryAfterMs,
    3000,
  );
});

Deno.test("failure messages say what to do", () => {
  const url = "https://cell.example:8443";
  assert.match(explainJoinFailure(new RegisterError(401, "refused"), url), /new bootstrap token/);
  assert.match(explainJoinFailure(new RegisterError(0, "down"), url), /reachable from this node/);
  assert.match(explainJoinFailure(new RegisterError(502, "bad"), url), /--ca-file/);
  assert.match(explainJoinFailure(new Error("Cannot apply Secret x"), url), /resumes/);
  assert.match(
    explainJoinFailure(
      new Error("Cannot apply X: Cannot resolve X: the server does not serve it"),
      url,
    ),
    /install the API/,
  );
  assert.match(
    explainJoinFailure(new Error("Cannot join as a: this cluster is already joined as b"), url),
    /do not join it twice/,
  );
});
