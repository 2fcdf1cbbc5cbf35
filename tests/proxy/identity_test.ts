import assert from "node:assert/strict";
import { identityHeaders, identityPrefix, impersonatedIdentity } from "../../lib/proxy/mod.ts";

Deno.test("identity crosses the stream and is prefixed by the agent", () => {
  const headers = identityHeaders({ user: "alice", groups: ["devs", "system:authenticated"] });
  assert.deepEqual(headers, {
    "impersonate-user": "alice",
    "impersonate-group": "devs, system:authenticated",
  });
  assert.deepEqual(impersonatedIdentity("root", headers), {
    user: "lattice:root:alice",
    groups: ["lattice:root:devs", "lattice:root:system:authenticated"],
  });
  assert.equal(identityPrefix("root"), "lattice:root:");
});

Deno.test("groups holding a comma are dropped rather than split into others", () => {
  const headers = identityHeaders({ user: "a", groups: ["x, system:masters", "ok", ""] });
  assert.equal(headers["impersonate-group"], "ok");
});

Deno.test("an asserted system identity still gets the prefix", () => {
  const id = impersonatedIdentity("root", {
    "impersonate-user": "system:admin",
    "impersonate-group": "system:masters",
  });
  assert.deepEqual(id, {
    user: "lattice:root:system:admin",
    groups: ["lattice:root:system:masters"],
  });
});

Deno.test("no user asserted means no identity (the request is refused)", () => {
  assert.equal(impersonatedIdentity("root", {}), undefined);
  assert.equal(impersonatedIdentity("root", { "impersonate-user": "  " }), undefined);
  assert.deepEqual(impersonatedIdentity("root", { "impersonate-user": "u" })?.groups, []);
});
