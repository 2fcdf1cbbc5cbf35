import assert from "node:assert/strict";
import { createOperatorApp, type Readiness } from "../../lib/operator/mod.ts";
import { Registry } from "../../lib/runtime/mod.ts";

function app(readiness: Readiness) {
  const registry = new Registry();
  registry.counter("lattice_reconcile_total", "Reconciles").inc({ result: "success" });
  return createOperatorApp({ registry, readiness: () => readiness });
}

Deno.test("/healthz answers ok", async () => {
  const res = await app({ ready: false, checks: {} }).request("/healthz");
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "ok\n");
});

Deno.test("/readyz is 503 until every check passes, and lists the checks", async () => {
  const notReady = await app({ ready: false, checks: { "controller/a": false } }).request(
    "/readyz",
  );
  assert.equal(notReady.status, 503);
  assert.match(await notReady.text(), /\[-\]controller\/a not ready/);
  const ready = await app({ ready: true, checks: { "controller/a": true } }).request("/readyz");
  assert.equal(ready.status, 200);
  assert.match(await ready.text(), /\[\+\]controller\/a ok\nok\n/);
});

Deno.test("/metrics serves Prometheus text; unknown paths get a Status body", async () => {
  const a = app({ ready: true, checks: {} });
  const metrics = await a.request("/metrics");
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  assert.match(await metrics.text(), /lattice_reconcile_total\{result="success"\} 1/);
  const missing = await a.request("/nope");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).reason, "NotFound");
});
