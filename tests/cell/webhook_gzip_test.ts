import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { Hono } from "hono";
import { acceptsGzip, jsonAnswer } from "../../lib/cell/webhook_gzip.ts";

Deno.test("Accept-Encoding: gzip is admitted unless absent or q=0", () => {
  assert.equal(acceptsGzip(undefined), false);
  assert.equal(acceptsGzip(""), false);
  assert.equal(acceptsGzip("identity"), false);
  assert.equal(acceptsGzip("br"), false);
  assert.equal(acceptsGzip("gzip"), true);
  assert.equal(acceptsGzip("gzip, br"), true);
  assert.equal(acceptsGzip("br;q=1.0, GZIP;q=0.5"), true);
  assert.equal(acceptsGzip("gzip;q=0"), false);
  assert.equal(acceptsGzip("*"), true);
  assert.equal(acceptsGzip("*;q=0"), false);
});

Deno.test("the registration answer is gzipped only for clients that accept it", async () => {
  const body = { manifests: Array.from({ length: 200 }, (_, i) => ({ kind: "ConfigMap", i })) };
  const app = new Hono().get("/", (c) => jsonAnswer(c, body));
  const zipped = await app.request("/", { headers: { "accept-encoding": "gzip, br" } });
  assert.equal(zipped.headers.get("content-encoding"), "gzip");
  assert.equal(zipped.headers.get("content-type"), "application/json");
  const bytes = new Uint8Array(await zipped.arrayBuffer());
  assert.ok(bytes.length < JSON.stringify(body).length / 4);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(gunzipSync(bytes))), body);

  const plain = await app.request("/");
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.equal(plain.headers.get("vary"), "accept-encoding");
  assert.deepEqual(await plain.json(), body);
});
