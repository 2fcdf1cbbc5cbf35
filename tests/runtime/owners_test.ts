import assert from "node:assert/strict";
import type { ResourceRef } from "../../lib/kube/mod.ts";
import { ownerKeysOf } from "../../lib/runtime/mod.ts";

const widgets: ResourceRef = {
  group: "example.com",
  version: "v1",
  plural: "widgets",
  kind: "Widget",
  namespaced: true,
};

Deno.test("owned objects map to their controller owner's key", () => {
  const owned = {
    metadata: {
      name: "child",
      namespace: "ns",
      ownerReferences: [
        { apiVersion: "example.com/v1", kind: "Widget", name: "w", uid: "1", controller: true },
        { apiVersion: "example.com/v1", kind: "Widget", name: "x", uid: "2" },
        { apiVersion: "other.com/v1", kind: "Widget", name: "y", uid: "3", controller: true },
      ],
    },
  };
  assert.deepEqual(ownerKeysOf(owned, widgets), ["ns/w"]);
  assert.deepEqual(ownerKeysOf(owned, { ...widgets, namespaced: false }), ["w"]);
  assert.deepEqual(ownerKeysOf({ metadata: { name: "z" } }, widgets), []);
});
