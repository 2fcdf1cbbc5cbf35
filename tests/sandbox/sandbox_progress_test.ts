import assert from "node:assert/strict";
import {
  formatTransition,
  mapPaths,
  parseClusters,
  PhaseTracker,
  renderTree,
  timeline,
} from "../../lib/sandbox/mod.ts";

Deno.test("PhaseTracker reports only changes, with elapsed time", () => {
  let now = 0;
  const tracker = new PhaseTracker(() => now);
  now = 1000;
  assert.equal(formatTransition(tracker.observe("mgmt", "Pending")!), "[+1.0s] mgmt: Pending");
  assert.equal(tracker.observe("mgmt", "Pending"), undefined);
  now = 2500;
  assert.equal(
    formatTransition(tracker.observe("mgmt", "Provisioning")!),
    "[+2.5s] mgmt: Pending → Provisioning",
  );
  now = 4000;
  tracker.observe("mgmt", "Ready");
  assert.deepEqual(timeline(tracker.history, 5000), [
    "mgmt: Pending 1.5s → Provisioning 1.5s → Ready 1.0s",
  ]);
});

Deno.test("renderTree draws the hierarchy under the root", () => {
  const lines = renderTree([
    { name: "mgmt", parent: "bootstrap", phase: "Ready", version: "1.31.0", nodes: "2/2" },
    { name: "w1", parent: "mgmt", phase: "Ready" },
    { name: "w2", parent: "mgmt", phase: "Pivoting" },
  ], "bootstrap");
  assert.deepEqual(lines, [
    "bootstrap",
    "└── mgmt (Ready, 1.31.0, nodes 2/2)",
    "    ├── w1 (Ready)",
    "    └── w2 (Pivoting)",
  ]);
});

Deno.test("parseClusters validates every document and names the bad one", () => {
  const good = `apiVersion: lattice.dev/v1alpha1
kind: LatticeCluster
metadata: { name: a }
spec:
  provider: { kubernetes: { version: "1.31.0" }, config: { docker: {} } }
  nodes: { controlPlane: 1, workers: 0 }
`;
  assert.equal(parseClusters(good + "---\n" + good, "x.yaml").length, 2);
  assert.throws(
    () =>
      parseClusters(good + "---\n" + good.replace("controlPlane: 1", "controlPlane: 0"), "x.yaml"),
    /x\.yaml \(document 2\):\n {2}spec\.nodes\.controlPlane: must be >= 1/,
  );
});

Deno.test("the simulated machine maps node paths into its root", () => {
  assert.equal(
    mapPaths("curl --cacert /etc/lattice/ca.crt -o /usr/local/bin/lattice.download x", "/m"),
    "curl --cacert /m/etc/lattice/ca.crt -o /m/usr/local/bin/lattice.download x",
  );
  assert.equal(mapPaths("cat /etc/latticex", "/m"), "cat /etc/latticex");
  assert.equal(
    mapPaths("KUBECONFIG=/etc/kubernetes/admin.conf", "/m"),
    "KUBECONFIG=/m/etc/kubernetes/admin.conf",
  );
});
