import assert from "node:assert/strict";
import {
  type ClusterObject,
  markCondition,
  newScope,
  ownedStatus,
  setNodes,
  setPhase,
  statusChanged,
} from "../../../lib/controllers/cluster/mod.ts";
import { providerCluster } from "../../capi/fixtures.ts";

const t0 = new Date("2026-01-01T00:00:00Z");

function withStatus(status: ClusterObject["status"]): ClusterObject {
  const c = providerCluster("docker") as ClusterObject;
  c.metadata.generation = 3;
  c.status = status;
  return c;
}

Deno.test("owned status keeps only this controller's fields and conditions", () => {
  const owned = ownedStatus({
    phase: "Ready",
    agent: { connected: true },
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "R",
        message: "",
        lastTransitionTime: t0.toISOString(),
      },
      { type: "AgentConnected", status: "True", reason: "R", message: "", lastTransitionTime: "x" },
    ],
  });
  assert.deepEqual(Object.keys(owned).sort(), ["conditions", "phase"]);
  assert.deepEqual(owned.conditions?.map((c) => c.type), ["Ready"]);
});

Deno.test("phase changes queue one event; same phase none", () => {
  const scope = newScope(withStatus({ phase: "Provisioning" }), t0);
  setPhase(scope, "Provisioning", "same");
  assert.equal(scope.events.length, 0);
  setPhase(scope, "Failed", "bad spec");
  assert.equal(scope.events.length, 1);
  assert.equal(scope.events[0].type, "Warning");
  assert.equal(scope.events[0].note, "Phase Provisioning → Failed: bad spec");
});

Deno.test("an unchanged status is not rewritten", () => {
  const scope = newScope(withStatus({ phase: "Ready" }), t0);
  setPhase(scope, "Ready", "x");
  assert.equal(statusChanged(scope), false);
  setNodes(scope, 2, 3);
  assert.equal(statusChanged(scope), true);
  assert.equal(scope.status.nodes?.summary, "2/3");
});

Deno.test("conditions carry observedGeneration; transition time moves only on change", () => {
  const scope = newScope(withStatus({}), t0);
  markCondition(scope, "Ready", "False", "Provisioning");
  const later = newScope(
    withStatus({ conditions: scope.status.conditions }),
    new Date(t0.getTime() + 60_000),
  );
  markCondition(later, "Ready", "False", "StillProvisioning");
  assert.equal(later.status.conditions?.[0].lastTransitionTime, "2026-01-01T00:00:00Z");
  assert.equal(later.status.conditions?.[0].observedGeneration, 3);
  markCondition(later, "Ready", "True", "Up");
  assert.equal(later.status.conditions?.[0].lastTransitionTime, "2026-01-01T00:01:00Z");
});
