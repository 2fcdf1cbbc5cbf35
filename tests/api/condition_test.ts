import assert from "node:assert/strict";
import { ConditionSchema, findCondition, setCondition } from "../../lib/api/mod.ts";

Deno.test("setCondition keeps lastTransitionTime while the status holds", () => {
  const t0 = new Date("2026-01-01T00:00:00Z");
  const t1 = new Date("2026-01-01T01:00:00Z");
  let list = setCondition([], { type: "Ready", status: "False", reason: "Waiting", message: "" }, {
    now: t0,
  });
  list = setCondition(list, {
    type: "Ready",
    status: "False",
    reason: "StillWaiting",
    message: "x",
  }, { now: t1 });
  assert.equal(findCondition(list, "Ready")?.lastTransitionTime, "2026-01-01T00:00:00Z");
  assert.equal(findCondition(list, "Ready")?.reason, "StillWaiting");
  list = setCondition(list, { type: "Ready", status: "True", reason: "Ready", message: "" }, {
    now: t1,
  });
  assert.equal(findCondition(list, "Ready")?.lastTransitionTime, "2026-01-01T01:00:00Z");
  assert.equal(list.length, 1);
  assert.ok(ConditionSchema.safeParse(list[0]).success);
});

Deno.test("Condition rejects a reason with spaces", () => {
  const bad = {
    type: "Ready",
    status: "True",
    reason: "not ok",
    message: "",
    lastTransitionTime: "2026-01-01T00:00:00Z",
  };
  assert.equal(ConditionSchema.safeParse(bad).success, false);
});
