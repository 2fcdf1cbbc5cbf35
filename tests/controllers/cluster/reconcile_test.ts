import assert from "node:assert/strict";
import {
  type ClusterObject,
  ClusterReconciler,
  type ClusterReconcilerOptions,
} from "../../../lib/controllers/cluster/mod.ts";
import type { KubeClient } from "../../../lib/kube/mod.ts";
import { providerCluster } from "../../capi/fixtures.ts";

// roleOf never talks to the API; the client is not used.
const noClient = {} as KubeClient;
const cell = { url: "https://root:8443", caBundlePem: "pem" };

function lc(name: string, cellRef?: string): ClusterObject {
  const c = providerCluster("docker", { name }) as ClusterObject;
  if (cellRef === undefined) delete c.spec.cellRef;
  else c.spec.cellRef = cellRef;
  return c;
}

Deno.test("table: which LatticeClusters an operator reconciles, and how", () => {
  const known = new Set(["root", "eu"]);
  const exists = (n: string) => known.has(n);
  const table: [string, Partial<ClusterReconcilerOptions>, ClusterObject, string][] = [
    ["own cluster", {}, lc("root", "parent"), "self"],
    ["own cluster on a cell", { cell }, lc("root"), "self"],
    ["child of this cell", { cell }, lc("a", "root"), "child"],
    ["not a cell: children are not ours", {}, lc("a", "root"), "foreign"],
    ["child of another known cell", { cell }, lc("b", "eu"), "foreign"],
    ["cellRef to nothing", { cell }, lc("c", "nowhere"), "orphan"],
    ["no cellRef", { cell }, lc("d"), "orphan"],
    ["no cellRef, bootstrap cluster", { cell, provisionUnparented: true }, lc("d"), "child"],
  ];
  for (const [name, options, cluster, role] of table) {
    const r = new ClusterReconciler(noClient, { selfName: "root", ...options });
    assert.equal(r.roleOf(cluster, exists), role, name);
  }
});

Deno.test("a cellRef naming the cluster itself or closing a loop is reported, not ignored", () => {
  const refs: Record<string, string> = { x: "y", y: "x", eu: "root" };
  const exists = (n: string) => n === "root" || n in refs;
  const cellRefOf = (n: string) => refs[n];
  const r = new ClusterReconciler(noClient, { selfName: "root", cell });
  const self = lc("x");
  self.spec.cellRef = "x";
  assert.equal(r.roleOf(self, exists, cellRefOf), "orphan", "self reference");
  assert.equal(r.roleOf(lc("x", "y"), exists, cellRefOf), "orphan", "loop x → y → x");
  assert.equal(r.roleOf(lc("b", "eu"), exists, cellRefOf), "foreign", "a real other cell");
});
