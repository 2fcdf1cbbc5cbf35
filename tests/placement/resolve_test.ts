import assert from "node:assert/strict";
import {
  decodeRegistrations,
  encodeRegistrations,
  handDown,
  MAX_INHERITED_REGISTRATIONS,
  registrationsHash,
  resolveRegistration,
} from "../../lib/controllers/placement/mod.ts";

const reg = (name: string, url: string) => ({
  metadata: { name },
  spec: { source: { git: { url, path: "./", branch: "main" } } },
});

Deno.test("the nearest registration wins, down a three-level hierarchy", () => {
  const root = handDown(
    "root",
    [reg("payments", "https://g/root"), reg("orders", "https://g/o")],
    [],
  );
  const us = handDown("us", [reg("payments", "https://g/us")], root);
  const eu = handDown("eu", [], root);
  const usLeaf = resolveRegistration("payments", "us-prod-1", [], us);
  const euLeaf = resolveRegistration("payments", "eu-prod-1", [], eu);
  assert.ok(usLeaf.found && euLeaf.found);
  assert.equal(usLeaf.registration.definedOn, "us");
  assert.equal(euLeaf.registration.definedOn, "root");
  // orders passes through us untouched; a leaf's own registration beats every ancestor.
  const orders = resolveRegistration("orders", "us-prod-1", [], us);
  assert.ok(orders.found && orders.registration.definedOn === "root");
  const own = resolveRegistration("payments", "us-prod-1", [reg("payments", "https://g/leaf")], us);
  assert.ok(own.found && own.registration.definedOn === "us-prod-1");
  // The cell's own registrations are sorted and hashed stably.
  assert.deepEqual(us.map((r) => r.name), ["orders", "payments"]);
  assert.equal(
    registrationsHash(us),
    registrationsHash(handDown("us", [reg("payments", "https://g/us")], [...root].reverse())),
  );
  assert.notEqual(registrationsHash(us), registrationsHash(eu));
});

Deno.test("an unknown service says where it looked", () => {
  const set = handDown("us", [], handDown("root", [reg("a", "https://g/a")], []));
  const r = resolveRegistration("ghost", "leaf", [], set);
  assert.equal(r.found, false);
  assert.match(!r.found ? r.message : "", /"ghost".*\(leaf\).*searched: leaf, root; 1 inherited/);
});

Deno.test("registrations being deleted or without spec are not handed down", () => {
  const set = handDown("c", [
    { metadata: { name: "gone", deletionTimestamp: "2026-01-01T00:00:00Z" }, spec: {} },
    { metadata: { name: "nospec" } },
    { metadata: {}, spec: {} },
  ], []);
  assert.deepEqual(set, []);
});

Deno.test("hand-downs decode only well-formed, bounded sets", () => {
  const set = handDown("root", [reg("a", "https://g/a")], []);
  assert.deepEqual(decodeRegistrations(encodeRegistrations(set)), set);
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  assert.throws(() => decodeRegistrations(new TextEncoder().encode("{")), /not JSON/);
  assert.throws(() => decodeRegistrations(enc({})), /not a list/);
  assert.throws(
    () => decodeRegistrations(enc([{ name: "a", definedOn: "r", spec: [] }])),
    /registrations\[0\]/,
  );
  assert.throws(() => decodeRegistrations(enc([null])), /registrations\[0\]/);
  const many = Array.from(
    { length: MAX_INHERITED_REGISTRATIONS + 1 },
    (_, i) => ({ name: `s${i}`, definedOn: "r", spec: {} }),
  );
  assert.throws(() => decodeRegistrations(enc(many)), /exceed/);
  assert.throws(() => decodeRegistrations(new Uint8Array(3 * 1024 * 1024)), /bytes exceed/);
});
