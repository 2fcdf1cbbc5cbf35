import assert from "node:assert/strict";
import { Metadata, status } from "@grpc/grpc-js";
import {
  hintedDelay,
  MAX_HINTED_RETRY_MS,
  RETRY_AFTER_MS_TRAILER,
  retryHintMs,
} from "../../lib/agent/retry_hint.ts";
import { RETRY_AFTER_MS_KEY } from "../../lib/cell/admission_pacer.ts";

function refusal(code: number, value?: string) {
  const metadata = new Metadata();
  if (value !== undefined) metadata.set(RETRY_AFTER_MS_TRAILER, value);
  return Object.assign(new Error("refused"), { code, metadata });
}

Deno.test("the agent reads the cell's retry hint from a RESOURCE_EXHAUSTED refusal", () => {
  assert.equal(RETRY_AFTER_MS_TRAILER, RETRY_AFTER_MS_KEY);
  assert.equal(retryHintMs(refusal(status.RESOURCE_EXHAUSTED, "1500")), 1500);
  assert.equal(retryHintMs(refusal(status.RESOURCE_EXHAUSTED, "9999999")), MAX_HINTED_RETRY_MS);
});

Deno.test("no hint without RESOURCE_EXHAUSTED, a trailer, or a valid number", () => {
  assert.equal(retryHintMs(refusal(status.UNAVAILABLE, "1500")), undefined);
  assert.equal(retryHintMs(refusal(status.RESOURCE_EXHAUSTED)), undefined);
  assert.equal(retryHintMs(refusal(status.RESOURCE_EXHAUSTED, "soon")), undefined);
  assert.equal(retryHintMs(refusal(status.RESOURCE_EXHAUSTED, "-5")), undefined);
  assert.equal(retryHintMs(undefined), undefined);
  assert.equal(retryHintMs(new Error("plain")), undefined);
});

Deno.test("a hinted delay is the hint plus up to 20 % jitter, never less", () => {
  assert.equal(hintedDelay(1000, () => 0), 1000);
  assert.equal(hintedDelay(1000, () => 0.5), 1100);
  assert.equal(hintedDelay(1000, () => 0.999), 1200);
});
