import { deepStrictEqual, equal } from "node:assert/strict";
import {
  AUTHZ_REF,
  CNP_REF,
  HASH_ANNOTATION,
  PolicyIndex,
} from "../../../lib/controllers/service/mod.ts";
import { ApiError, type KubeClient, type KubeObject } from "../../../lib/kube/mod.ts";

const policy = (name: string, generation: number, hash: string): KubeObject => ({
  apiVersion: "cilium.io/v2",
  kind: "CiliumNetworkPolicy",
  metadata: {
    name,
    namespace: "shop",
    generation,
    labels: { "app.kubernetes.io/managed-by": "lattice-mesh", "lattice.dev/service": "api" },
    annotations: { [HASH_ANNOTATION]: hash },
  },
});

function index() {
  const woken: string[] = [];
  const idx = new PolicyIndex({} as KubeClient, [CNP_REF, AUTHZ_REF], {
    onDrift: (key) => woken.push(key),
  });
  return { idx, woken };
}

Deno.test("policy index: pending until both kinds are listed, then per callee name → hash", () => {
  const { idx, woken } = index();
  equal(idx.state, "pending");
  idx.observe(CNP_REF, { type: "init" });
  idx.observe(CNP_REF, { type: "initApply", object: policy("allow.shop.web.to.api", 1, "h1") });
  idx.observe(CNP_REF, { type: "initDone" });
  equal(idx.state, "pending");
  idx.observe(AUTHZ_REF, { type: "init" });
  idx.observe(AUTHZ_REF, { type: "initDone" });
  equal(idx.state, "ready");
  deepStrictEqual(idx.existing(CNP_REF, "shop", "api"), new Map([["allow.shop.web.to.api", "h1"]]));
  deepStrictEqual(idx.existing(AUTHZ_REF, "shop", "api"), new Map());
  deepStrictEqual(woken, []);
});

Deno.test("policy index: our writes count at once; others' edits and deletions wake the callee", () => {
  const { idx, woken } = index();
  for (const ref of [CNP_REF, AUTHZ_REF]) {
    idx.observe(ref, { type: "init" });
    idx.observe(ref, { type: "initDone" });
  }
  // Our create is known before its watch event arrives; the event changes nothing.
  idx.wrote(CNP_REF, policy("p", 1, "h1"), "h1");
  deepStrictEqual(idx.existing(CNP_REF, "shop", "api"), new Map([["p", "h1"]]));
  idx.observe(CNP_REF, { type: "apply", object: policy("p", 1, "h1") });
  deepStrictEqual(woken, []);
  // Someone else changes the spec (a newer generation, the annotation untouched).
  idx.observe(CNP_REF, { type: "apply", object: policy("p", 2, "h1") });
  deepStrictEqual(idx.existing(CNP_REF, "shop", "api"), new Map([["p", ""]]));
  deepStrictEqual(woken, ["shop/api"]);
  // Our re-apply repairs it; a late, older event does not undo that.
  idx.wrote(CNP_REF, policy("p", 3, "h1"), "h1");
  idx.observe(CNP_REF, { type: "apply", object: policy("p", 2, "h1") });
  deepStrictEqual(idx.existing(CNP_REF, "shop", "api"), new Map([["p", "h1"]]));
  // A deletion by hand wakes the callee; our own deletion is recorded at once.
  idx.observe(CNP_REF, { type: "delete", object: policy("p", 3, "h1") });
  deepStrictEqual(idx.existing(CNP_REF, "shop", "api"), new Map());
  deepStrictEqual(woken, ["shop/api", "shop/api"]);
  idx.wrote(CNP_REF, policy("q", 1, "h2"), "h2");
  idx.deleted(CNP_REF, "shop", "api", "q");
  deepStrictEqual(idx.existing(CNP_REF, "shop", "api"), new Map());
});

Deno.test("policy index: a kind whose CRD is not served is missing, not pending", () => {
  const { idx } = index();
  idx.observe(AUTHZ_REF, { type: "init" });
  idx.observe(AUTHZ_REF, { type: "initDone" });
  idx.observe(CNP_REF, { type: "init" });
  idx.observe(CNP_REF, {
    type: "error",
    error: new ApiError(404, "the server could not find the requested resource", {
      reason: "NotFound",
    }),
  });
  equal(idx.state, "missing");
  // Installed later: the next list makes it ready.
  idx.observe(CNP_REF, { type: "init" });
  idx.observe(CNP_REF, { type: "initDone" });
  equal(idx.state, "ready");
});

Deno.test("policy index: a list refused for another reason is reported until one succeeds", () => {
  const { idx } = index();
  idx.observe(AUTHZ_REF, { type: "init" });
  idx.observe(AUTHZ_REF, { type: "initDone" });
  idx.observe(CNP_REF, { type: "init" });
  idx.observe(CNP_REF, {
    type: "error",
    error: new ApiError(403, "ciliumnetworkpolicies is forbidden", { reason: "Forbidden" }),
  });
  equal(idx.state, "pending");
  equal(idx.error?.message, "ciliumnetworkpolicies is forbidden");
  idx.observe(CNP_REF, { type: "init" });
  idx.observe(CNP_REF, { type: "initDone" });
  equal(idx.state, "ready");
  equal(idx.error, undefined);
});
