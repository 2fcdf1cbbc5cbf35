/**
 * Version rules (Kubernetes support range, upgrade steps, Flux 2.x) and text rendering.
 */
import assert from "node:assert/strict";
import {
  fluxVersionProblem,
  k8sVersionProblem,
  renderTable,
  renderTree,
  upgradeProblem,
} from "../../lib/gitops/mod.ts";

Deno.test("Kubernetes versions: supported range and upgrade steps", () => {
  assert.equal(k8sVersionProblem("1.31.0"), undefined);
  assert.equal(k8sVersionProblem("1.36.3"), undefined);
  // docs/adr/version-v-prefix.md: one spelling, refused with the fix named.
  assert.match(k8sVersionProblem("v1.36.3")!, /without a leading v/);
  assert.match(k8sVersionProblem("1.28.9")!, /supported Kubernetes version, 1\.29\.x to 1\.36\.x/);
  assert.match(k8sVersionProblem("2.0.0")!, /supported Kubernetes version/);
  assert.match(k8sVersionProblem("1.31")!, /must be a version like 1\.31\.0/);
  assert.equal(upgradeProblem("1.31.0", "1.32.0"), undefined);
  assert.equal(upgradeProblem("1.31.0", "1.31.4"), undefined);
  assert.equal(upgradeProblem("1.31.2", "1.31.2"), undefined);
  assert.match(upgradeProblem("1.31.2", "1.31.1")!, /older/);
  assert.match(upgradeProblem("1.31.0", "1.33.0")!, /skips minor versions/);
});

Deno.test("Flux versions must be 2.x", () => {
  assert.equal(fluxVersionProblem("2.3.0"), undefined);
  assert.match(fluxVersionProblem("1.25.4")!, /must be a Flux 2\.x release/);
  assert.match(fluxVersionProblem("v2.3.0")!, /without a leading v/);
  assert.match(fluxVersionProblem("latest")!, /must be a version like/);
});

Deno.test("tables keep minimum widths and grow with their content", () => {
  const columns = [{ header: "NAME", minWidth: 8 }, { header: "N", minWidth: 0 }];
  assert.equal(renderTable(columns, [["a", "1"]]), "NAME    N\na       1");
  assert.equal(
    renderTable(columns, [["a-long-name", "1"]]),
    "NAME          N\na-long-name   1",
  );
});

Deno.test("trees draw branches for every level", () => {
  const tree = {
    name: "r",
    children: [
      { name: "a", children: [{ name: "a1", children: [] }] },
      { name: "b", children: [] },
    ],
  };
  assert.equal(renderTree(tree), "r\n├── a\n│   └── a1\n└── b");
});
