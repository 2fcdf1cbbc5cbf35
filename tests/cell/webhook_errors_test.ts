import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { StatusError, statusErrorHandler } from "../../lib/cell/errors.ts";
import { createLogger } from "../../lib/log/mod.ts";

function app(lines: string[] = []) {
  const a = new Hono();
  a.onError(statusErrorHandler({ logger: createLogger({ sink: (l) => lines.push(l) }) }));
  a.get("/status", () => {
    throw new StatusError(403, "Cannot proxy: forbidden", {
      details: { name: "east", kind: "clusters", retryAfterSeconds: 3 },
      headers: { "www-authenticate": "Bearer" },
    });
  });
  a.get("/hono", () => {
    throw new HTTPException(415, { message: "wrong type" });
  });
  a.get("/boom", () => {
    throw new Error("secret internals");
  });
  return a;
}

Deno.test("a StatusError becomes a Kubernetes Status with its headers", async () => {
  const res = await app().request("/status");
  assert.equal(res.status, 403);
  assert.equal(res.headers.get("www-authenticate"), "Bearer");
  assert.equal(res.headers.get("retry-after"), "3");
  assert.deepEqual(await res.json(), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "Cannot proxy: forbidden",
    reason: "Forbidden",
    code: 403,
    details: { name: "east", kind: "clusters", retryAfterSeconds: 3 },
  });
});

Deno.test("Hono's HTTP errors keep their code", async () => {
  const res = await app().request("/hono");
  assert.equal(res.status, 415);
  const body = await res.json();
  assert.equal(body.reason, "UnsupportedMediaType");
  assert.equal(body.message, "wrong type");
});

Deno.test("unexpected errors are a 500 whose detail stays in the log", async () => {
  const lines: string[] = [];
  const res = await app(lines).request("/boom");
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.reason, "InternalError");
  assert.doesNotMatch(body.message, /secret internals/);
  assert.match(lines.join("\n"), /secret internals/);
});
