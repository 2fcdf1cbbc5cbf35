import assert from "node:assert/strict";
import {
  apiVersionOf,
  objectKey,
  parseApiVersion,
  parseKey,
  resourcePath,
  type ResourceRef,
} from "../../lib/kube/mod.ts";

const pods: ResourceRef = {
  group: "",
  version: "v1",
  plural: "pods",
  kind: "Pod",
  namespaced: true,
};
const crds: ResourceRef = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
};

Deno.test("resourcePath builds core, grouped, namespaced and subresource paths", () => {
  assert.equal(resourcePath(pods), "/api/v1/pods");
  assert.equal(resourcePath(pods, { namespace: "a" }), "/api/v1/namespaces/a/pods");
  assert.equal(
    resourcePath(pods, { namespace: "a", name: "p", subresource: "status" }),
    "/api/v1/namespaces/a/pods/p/status",
  );
  assert.equal(
    resourcePath(crds, { namespace: "ignored", name: "x.y" }),
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x.y",
  );
});

Deno.test("apiVersion and keys round-trip", () => {
  assert.equal(apiVersionOf(pods), "v1");
  assert.equal(apiVersionOf(crds), "apiextensions.k8s.io/v1");
  assert.deepEqual(parseApiVersion("apps/v1"), { group: "apps", version: "v1" });
  assert.deepEqual(parseApiVersion("v1"), { group: "", version: "v1" });
  assert.equal(objectKey({ metadata: { namespace: "a", name: "b" } }), "a/b");
  assert.equal(objectKey({ metadata: { name: "b" } }), "b");
  assert.deepEqual(parseKey("a/b"), { namespace: "a", name: "b" });
  assert.deepEqual(parseKey("b"), { name: "b" });
});
