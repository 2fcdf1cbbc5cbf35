/**
 * Refusals of agent certificates are reused briefly, so a revoked agent's reconnect loop
 * costs one admission check per interval; admissions are never cached.
 */
import assert from "node:assert/strict";
import { cacheRefusals } from "../../lib/cell/admission_cache.ts";

Deno.test("cacheRefusals: a refusal is reused for its ttl; an admission is checked each time", async () => {
  let now = 0;
  const asked: string[] = [];
  const check = cacheRefusals((identity) => {
    asked.push(identity);
    return Promise.resolve(identity === "doomed" ? "the certificate is revoked" : undefined);
  }, { ttlMs: 5_000, now: () => now });
  for (let i = 0; i < 50; i++) {
    assert.equal(await check("doomed", "pem"), "the certificate is revoked");
  }
  assert.equal(asked.filter((a) => a === "doomed").length, 1);
  // Another certificate of the same name is checked on its own.
  await check("doomed", "other-pem");
  assert.equal(asked.filter((a) => a === "doomed").length, 2);
  for (let i = 0; i < 3; i++) assert.equal(await check("alive", "pem"), undefined);
  assert.equal(asked.filter((a) => a === "alive").length, 3);
  now += 5_001;
  await check("doomed", "pem");
  assert.equal(asked.filter((a) => a === "doomed").length, 3);
});
