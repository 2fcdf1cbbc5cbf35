import assert from "node:assert/strict";
import {
  checkForwardedPath,
  InvalidPathError,
  isStreamingRequest,
  parseProxyPath,
} from "../../lib/proxy/mod.ts";

Deno.test("parseProxyPath splits the first hop from the rest", () => {
  const cases: [string, string, string][] = [
    ["/clusters/a/api", "a", "/api"],
    ["/clusters/a/api/v1/namespaces/x/pods", "a", "/api/v1/namespaces/x/pods"],
    ["/clusters/a-1/apis/apps/v1", "a-1", "/apis/apps/v1"],
    ["/clusters/a/version", "a", "/version"],
    ["/clusters/a/openapi/v3", "a", "/openapi/v3"],
    ["/clusters/a/clusters/b/api/v1", "a", "/clusters/b/api/v1"],
    // Names with ':' (system roles) and encoded characters that stay inside the segment.
    [
      "/clusters/a/apis/rbac.authorization.k8s.io/v1/clusterroles/system:basic-user",
      "a",
      "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:basic-user",
    ],
    [
      "/clusters/a/api/v1/namespaces/x/configmaps/a%3Ab",
      "a",
      "/api/v1/namespaces/x/configmaps/a%3Ab",
    ],
  ];
  for (const [path, cluster, rest] of cases) {
    assert.deepEqual(parseProxyPath(path), { cluster, rest }, path);
  }
});

Deno.test("parseProxyPath refuses abuse with 400 and unserved roots with 404", () => {
  const cases: [string, 400 | 404][] = [
    ["/clusters/a/api/../../healthz", 400],
    ["/clusters/a/api/%2e%2e/x", 400],
    ["/clusters/a/api/%2E%2E/x", 400],
    ["/clusters/a/api/./x", 400],
    ["/clusters/a/api/a%2fb", 400],
    ["/clusters/a/api/a%5cb", 400],
    ["/clusters/a/api/a%00b", 400],
    ["/clusters/a/api/%252e%252e", 400],
    ["/clusters/a/api/%zz", 400],
    ["/clusters/a//api", 400],
    ["/clusters/a/api/", 400],
    ["/clusters/A/api", 400],
    ["/clusters/a_b/api", 400],
    ["/clusters/-a/api", 400],
    [`/clusters/${"a".repeat(64)}/api`, 400],
    ["/clusters/a/api/x y", 400],
    ["/clusters/a/clusters/B/api", 400],
    ["/clusters/a/clusters/b", 400],
    ["/clusters/a", 404],
    ["/clusters/a/healthz", 404],
    ["/clusters/a/metrics", 404],
    ["/other/a/api", 404],
  ];
  for (const [path, code] of cases) {
    assert.throws(
      () => parseProxyPath(path),
      (e) => e instanceof InvalidPathError && e.code === code,
      path,
    );
  }
});

Deno.test("checkForwardedPath re-validates what an agent receives", () => {
  assert.equal(checkForwardedPath("/api/v1/pods?watch=true"), "/api/v1/pods");
  assert.equal(checkForwardedPath("/clusters/b/api"), "/clusters/b/api");
  for (const bad of ["api/v1", "/metrics", "/api/../metrics", "/api/%2e%2e/metrics", "/"]) {
    assert.throws(() => checkForwardedPath(bad), InvalidPathError, bad);
  }
});

Deno.test("isStreamingRequest recognizes watches and follows", () => {
  assert.equal(isStreamingRequest("/api/v1/pods?watch=true"), true);
  assert.equal(isStreamingRequest("/api/v1/pods?watch=1"), true);
  assert.equal(isStreamingRequest("/api/v1/namespaces/x/pods/p/log?follow=true"), true);
  assert.equal(isStreamingRequest("/api/v1/watch/pods"), true);
  assert.equal(isStreamingRequest("/api/v1/pods?watch=false"), false);
  assert.equal(isStreamingRequest("/api/v1/pods"), false);
});
