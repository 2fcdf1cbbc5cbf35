import assert from "node:assert/strict";
import {
  compareVersions,
  controlPlaneAt,
  controlPlaneReady,
  controlPlaneVersion,
  nodeCounts,
  plainVersion,
} from "../../../lib/controllers/cluster/mod.ts";

Deno.test("control plane readiness from initialization or conditions", () => {
  assert.equal(controlPlaneReady(undefined), false);
  assert.equal(controlPlaneReady({ status: {} }), false);
  assert.equal(
    controlPlaneReady({ status: { initialization: { controlPlaneInitialized: true } } }),
    true,
  );
  const cond = (status: string) => ({
    status: { conditions: [{ type: "ControlPlaneAvailable", status }] },
  });
  assert.equal(controlPlaneReady(cond("True")), true);
  assert.equal(controlPlaneReady(cond("False")), false);
});

Deno.test("node counts add control plane and workers", () => {
  assert.deepEqual(nodeCounts(undefined), { ready: 0, total: 0 });
  assert.deepEqual(
    nodeCounts({
      status: {
        controlPlane: { replicas: 3, readyReplicas: 2 },
        workers: { replicas: 10, readyReplicas: 9 },
      },
    }),
    { ready: 11, total: 13 },
  );
});

Deno.test("versions compare numerically and drop prefixes and suffixes", () => {
  assert.equal(plainVersion("v1.31.0+rke2r1"), "1.31.0");
  assert.ok(compareVersions("1.9.0", "1.10.0") < 0);
  assert.equal(compareVersions("v1.31.0", "1.31.0+rke2r1"), 0);
  assert.equal(
    controlPlaneVersion({
      status: { controlPlane: { versions: [{ version: "v1.32.0" }, { version: "v1.31.4" }] } },
    }),
    "1.31.4",
  );
  assert.equal(controlPlaneVersion({ status: {} }), undefined);
});

Deno.test("controlPlaneAt needs current status, the version and every replica", () => {
  const cp = (status: Record<string, unknown>, generation = 2) => ({
    metadata: { generation },
    spec: { replicas: 3 },
    status,
  });
  const done = { observedGeneration: 2, version: "v1.32.0", upToDateReplicas: 3 };
  assert.equal(controlPlaneAt(cp(done), "v1.32.0"), true);
  assert.equal(controlPlaneAt(cp(done, 3), "v1.32.0"), false, "stale status");
  assert.equal(controlPlaneAt(cp({ ...done, upToDateReplicas: 2 }), "v1.32.0"), false);
  assert.equal(controlPlaneAt(cp({ ...done, version: "v1.31.0" }), "v1.32.0"), false);
});
