import assert from "node:assert/strict";
import { type ClusterObject, validateCluster } from "../../../lib/controllers/cluster/mod.ts";
import { providerCluster } from "../../capi/fixtures.ts";

function cluster(edit: (c: ClusterObject) => void = () => {}): ClusterObject {
  const c = providerCluster("docker", { name: "child", controlPlane: 3 }) as ClusterObject;
  edit(c);
  return c;
}

const reasons = (c: ClusterObject, exists?: (n: string) => boolean) =>
  validateCluster(c, { cellName: "root", clusterExists: exists }).map((p) => p.reason);

Deno.test("a valid spec has no problems", () => {
  assert.deepEqual(reasons(cluster(), () => false), []);
});

Deno.test("table: semantic problems", () => {
  const table: [string, (c: ClusterObject) => void, string[], ((n: string) => boolean)?][] = [
    ["unknown cellRef", (c) => (c.spec.cellRef = "nowhere"), ["UnknownCellRef"], () => false],
    ["known other cellRef", (c) => (c.spec.cellRef = "eu"), [], (n) => n === "eu"],
    ["even control plane", (c) => (c.spec.nodes.controlPlane = 4), ["EvenControlPlaneCount"]],
    ["downgrade", (c) => {
      c.status = { kubernetesVersion: "1.31.2" };
      c.spec.provider.kubernetes.version = "1.31.1";
    }, ["VersionDowngrade"]],
    ["patch upgrade", (c) => {
      c.status = { kubernetesVersion: "1.31.0" };
      c.spec.provider.kubernetes.version = "1.31.5";
    }, []],
    ["minor upgrade", (c) => {
      c.status = { kubernetesVersion: "1.31.0" };
      c.spec.provider.kubernetes.version = "v1.32.0";
    }, []],
    ["minor skip", (c) => {
      c.status = { kubernetesVersion: "1.30.4" };
      c.spec.provider.kubernetes.version = "1.32.0";
    }, ["VersionSkew"]],
    ["provider change", (c) => (c.status = { provider: "aws" }), ["ProviderChanged"]],
    [
      "two at once",
      (c) => {
        c.spec.nodes.controlPlane = 2;
        c.spec.cellRef = "nowhere";
      },
      ["UnknownCellRef", "EvenControlPlaneCount"],
      () => false,
    ],
  ];
  for (const [name, edit, want, exists] of table) {
    assert.deepEqual(reasons(cluster(edit), exists), want, name);
  }
});

Deno.test("messages say what to fix", () => {
  const [p] = validateCluster(cluster((c) => (c.spec.nodes.controlPlane = 4)));
  assert.match(p.message, /use 3 or 5/);
  const [d] = validateCluster(cluster((c) => {
    c.status = { kubernetesVersion: "1.31.2" };
    c.spec.provider.kubernetes.version = "1.30.0";
  }));
  assert.match(d.message, /set it to 1\.31\.2 or newer/);
});
