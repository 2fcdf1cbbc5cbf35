import assert from "node:assert/strict";
import { placementStatus } from "../../lib/controllers/placement/mod.ts";

const source = { registration: "p", definedOn: "root", url: "https://h/r", path: "./", tag: "v1" };
const now = new Date("2026-12-07T00:00:00Z");

Deno.test("status: ready, then a refusal keeps source and revision", () => {
  const ready = placementStatus(undefined, {
    generation: 2,
    namespace: "p",
    source,
    revision: "v1@sha1:abc",
    outcome: { state: "ready", message: "applied" },
  }, now);
  assert.equal(ready.phase, "Ready");
  assert.equal(ready.observedGeneration, 2);
  assert.deepEqual(ready.conditions?.map((c) => [c.type, c.status, c.reason]), [
    ["SourceResolved", "True", "RegistrationFound"],
    ["Ready", "True", "Applied"],
    ["Reconciling", "False", "Applied"],
    ["Stalled", "False", "Applied"],
  ]);
  const gone = placementStatus(ready, {
    generation: 3,
    namespace: "p",
    outcome: { state: "failed", reason: "RegistrationNotFound", message: "no registration" },
  }, new Date("2026-12-07T01:00:00Z"));
  assert.equal(gone.phase, "Failed");
  assert.deepEqual(gone.source, source);
  assert.equal(gone.revision, "v1@sha1:abc");
  const resolved = gone.conditions?.find((c) => c.type === "SourceResolved");
  assert.equal(resolved?.reason, "RegistrationNotFound");
  assert.equal(resolved?.lastTransitionTime, "2026-12-07T01:00:00Z");
  const pending = placementStatus(gone, {
    generation: 3,
    namespace: "p",
    source,
    outcome: { state: "pending", reason: "Progressing", message: "fetching" },
  }, now);
  assert.equal(pending.phase, "Pending");
  assert.equal(pending.conditions?.find((c) => c.type === "Ready")?.status, "Unknown");
  assert.equal(pending.conditions?.find((c) => c.type === "SourceResolved")?.status, "True");
  assert.equal(pending.conditions?.find((c) => c.type === "Reconciling")?.status, "True");
  assert.equal(pending.conditions?.find((c) => c.type === "Stalled")?.status, "False");
  assert.equal(gone.conditions?.find((c) => c.type === "Stalled")?.status, "True");
  assert.equal(gone.conditions?.find((c) => c.type === "Reconciling")?.status, "False");
  const bad = placementStatus(undefined, {
    namespace: "p",
    source,
    outcome: { state: "failed", reason: "OverridesNotApplicable", message: "replicas" },
  }, now);
  assert.equal(bad.conditions?.find((c) => c.type === "SourceResolved")?.status, "True");
  assert.equal(bad.conditions?.find((c) => c.type === "Ready")?.reason, "OverridesNotApplicable");
});
