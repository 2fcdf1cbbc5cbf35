import assert from "node:assert/strict";
import {
  BootstrapTokens,
  digestsEqual,
  generateToken,
  hashToken,
  MemoryTokenBackend,
  type StoredToken,
  type TokenBackend,
  type TokenRecord,
} from "../../lib/pki/mod.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function setup(options: { ttlMs?: number; leaseMs?: number } = {}) {
  const clock = { now: T0 };
  const backend = new MemoryTokenBackend();
  const tokens = new BootstrapTokens(backend, { ...options, now: () => new Date(clock.now) });
  return { clock, backend, tokens };
}

Deno.test("tokens are 256-bit, random, and stored only as their SHA-256", async () => {
  const { tokens, backend } = setup();
  const { token, expiresAt } = await tokens.issue("east");
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(generateToken(), generateToken());
  assert.equal(expiresAt.getTime(), T0 + 60 * 60 * 1000);
  const stored = await backend.read("east");
  assert.equal(stored?.record.hash, await hashToken(token));
  assert.ok(!JSON.stringify(stored).includes(token));
});

Deno.test("digestsEqual compares whole digests", () => {
  assert.ok(digestsEqual("abcd", "abcd"));
  assert.ok(!digestsEqual("abcd", "abce"));
  assert.ok(!digestsEqual("abcd", "abc"));
});

Deno.test("lease → commit consumes the token; reuse with another key is refused", async () => {
  const { tokens } = setup();
  const { token } = await tokens.issue("east");
  const leased = await tokens.lease("east", token, "key-a");
  assert.ok(leased.ok);
  assert.equal((await tokens.inspect("east"))?.state, "leased");
  await tokens.commit(leased.lease);
  const record = await tokens.inspect("east");
  assert.equal(record?.state, "used");
  assert.equal(record?.keyId, "key-a");
  assert.deepEqual(await tokens.lease("east", token, "key-b"), { ok: false, reason: "used" });
});

Deno.test("release hands the token back unused", async () => {
  const { tokens } = setup();
  const { token } = await tokens.issue("east");
  const leased = await tokens.lease("east", token, "k");
  assert.ok(leased.ok);
  await tokens.release(leased.lease);
  assert.equal((await tokens.inspect("east"))?.state, "issued");
  assert.ok((await tokens.lease("east", token, "k")).ok);
});

Deno.test("a held lease makes others wait; a lapsed lease frees the token", async () => {
  const { tokens, clock } = setup({ leaseMs: 1000 });
  const { token } = await tokens.issue("east");
  const first = await tokens.lease("east", token, "k");
  assert.ok(first.ok);
  assert.deepEqual(await tokens.lease("east", token, "k"), { ok: false, reason: "busy" });
  clock.now += 1001;
  const second = await tokens.lease("east", token, "k");
  assert.ok(second.ok);
  // The crashed holder's lease is gone: it can no longer commit.
  await assert.rejects(tokens.commit(first.lease), /the lease was lost/);
  await tokens.commit(second.lease);
});

Deno.test("wrong, unknown and expired tokens are refused with their reason", async () => {
  const { tokens, clock } = setup();
  const { token } = await tokens.issue("east");
  assert.deepEqual(await tokens.lease("east", "nope", "k"), { ok: false, reason: "mismatch" });
  assert.deepEqual(await tokens.lease("west", token, "k"), { ok: false, reason: "unknown" });
  clock.now += 60 * 60 * 1000;
  assert.deepEqual(await tokens.lease("east", token, "k"), { ok: false, reason: "expired" });
});

Deno.test("ensure reissues only when the token expired unused", async () => {
  const { tokens, clock } = setup();
  const first = await tokens.ensure("east");
  assert.ok(first);
  assert.equal(await tokens.ensure("east"), undefined, "still valid");
  clock.now += 60 * 60 * 1000 + 1;
  const second = await tokens.ensure("east");
  assert.ok(second);
  assert.notEqual(second.token, first.token);
  assert.deepEqual(await tokens.lease("east", first.token, "k"), {
    ok: false,
    reason: "mismatch",
  });
  const leased = await tokens.lease("east", second.token, "k");
  assert.ok(leased.ok);
  await tokens.commit(leased.lease);
  clock.now += 2 * 60 * 60 * 1000;
  assert.equal(await tokens.ensure("east"), undefined, "a registered cluster gets no new token");
  await tokens.revoke("east");
  assert.equal(await tokens.inspect("east"), undefined);
});

Deno.test("the same key may register again within the rebind window only", async () => {
  const { tokens, clock } = setup();
  const { token } = await tokens.issue("east");
  const leased = await tokens.lease("east", token, "k");
  assert.ok(leased.ok);
  await tokens.commit(leased.lease);
  const again = await tokens.lease("east", token, "k");
  assert.ok(again.ok && again.lease.rebind);
  clock.now += 60 * 60 * 1000;
  assert.deepEqual(await tokens.lease("east", token, "k"), { ok: false, reason: "used" });
});

Deno.test("concurrent leases: exactly one wins", async () => {
  const { tokens } = setup();
  const { token } = await tokens.issue("east");
  const results = await Promise.all(
    Array.from({ length: 8 }, () => tokens.lease("east", token, "k")),
  );
  assert.equal(results.filter((r) => r.ok).length, 1);
  assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === "busy"));
});

Deno.test("compare-and-swap conflicts are retried", async () => {
  const inner = new MemoryTokenBackend();
  let conflicts = 2;
  const flaky: TokenBackend = {
    read: (c) => inner.read(c),
    remove: (c) => inner.remove(c),
    write(c: string, r: TokenRecord, v?: string) {
      if (conflicts-- > 0) return Promise.resolve("conflict");
      return inner.write(c, r, v);
    },
  };
  const tokens = new BootstrapTokens(flaky, { now: () => new Date(T0) });
  const { token } = await tokens.issue("east");
  const stored = await inner.read("east") as StoredToken;
  assert.equal(stored.record.hash, await hashToken(token));
});
