import assert from "node:assert/strict";
import {
  ApiError,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
  isUnauthorized,
} from "../../lib/kube/mod.ts";

function status(code: number, reason: string, details: Record<string, unknown> = {}) {
  return {
    kind: "Status",
    status: "Failure",
    message: `${reason} happened`,
    reason,
    code,
    details,
  };
}

const predicates = {
  isNotFound,
  isAlreadyExists,
  isConflict,
  isGone,
  isForbidden,
  isUnauthorized,
  isInvalid,
  isTooManyRequests,
};

const table: [number, string, keyof typeof predicates][] = [
  [404, "NotFound", "isNotFound"],
  [409, "AlreadyExists", "isAlreadyExists"],
  [409, "Conflict", "isConflict"],
  [410, "Expired", "isGone"],
  [403, "Forbidden", "isForbidden"],
  [401, "Unauthorized", "isUnauthorized"],
  [422, "Invalid", "isInvalid"],
  [429, "TooManyRequests", "isTooManyRequests"],
];

for (const [code, reason, expected] of table) {
  Deno.test(`ApiError ${code} ${reason} satisfies only ${expected}`, async () => {
    const response = new Response(JSON.stringify(status(code, reason)), { status: code });
    const error = await ApiError.fromResponse(response, "GET /api/v1/x");
    assert.equal(error.status, code);
    assert.equal(error.reason, reason);
    assert.match(error.message, /^Cannot GET \/api\/v1\/x: /);
    for (const [name, fn] of Object.entries(predicates)) {
      assert.equal(fn(error), name === expected, `${name} on ${reason}`);
    }
  });
}

Deno.test("Invalid carries field causes", async () => {
  const body = status(422, "Invalid", {
    causes: [{ field: "spec.replicas", message: "must be >= 0", reason: "FieldValueInvalid" }],
  });
  const error = await ApiError.fromResponse(
    new Response(JSON.stringify(body), { status: 422 }),
    "POST /apis/apps/v1/namespaces/a/deployments",
  );
  assert.deepEqual(error.causes, [
    { field: "spec.replicas", message: "must be >= 0", reason: "FieldValueInvalid" },
  ]);
});

Deno.test("TooManyRequests takes retry-after from the header or the Status", async () => {
  const fromHeader = await ApiError.fromResponse(
    new Response(JSON.stringify(status(429, "TooManyRequests")), {
      status: 429,
      headers: { "retry-after": "7" },
    }),
    "GET /x",
  );
  assert.equal(fromHeader.retryAfterSeconds, 7);
  const fromBody = await ApiError.fromResponse(
    new Response(JSON.stringify(status(429, "TooManyRequests", { retryAfterSeconds: 3 })), {
      status: 429,
      headers: { "retry-after": "9" },
    }),
    "GET /x",
  );
  assert.equal(fromBody.retryAfterSeconds, 3);
});

Deno.test("a non-JSON error body still yields a typed error", async () => {
  const error = await ApiError.fromResponse(
    new Response("upstream connect error", { status: 503 }),
    "GET /x",
  );
  assert.equal(error.reason, "ServiceUnavailable");
  assert.match(error.message, /upstream connect error/);
});

Deno.test("predicates reject non-ApiErrors", () => {
  for (const fn of Object.values(predicates)) assert.equal(fn(new Error("404")), false);
});
