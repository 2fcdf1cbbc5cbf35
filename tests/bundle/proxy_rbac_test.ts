/**
 * docs/proxy.md and the generated RBAC agree: the agent may impersonate users and groups
 * only — never service accounts, UIDs or extras (the proxy forwards none of them).
 */
import assert from "node:assert/strict";
import { installBundle } from "../../lib/bundle/mod.ts";

Deno.test("lattice-proxy impersonates users and groups only, as docs/proxy.md says", () => {
  const role = installBundle().find((o) =>
    o.kind === "ClusterRole" && o.metadata?.name === "lattice-proxy"
  ) as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
  assert.ok(role, "the bundle has the lattice-proxy ClusterRole");
  const impersonated = role.rules.filter((r) => r.verbs.includes("impersonate"))
    .flatMap((r) => r.resources.map((res) => `${r.apiGroups.join(",")}/${res}`)).sort();
  assert.deepEqual(impersonated, ["/groups", "/users"]);
  const doc = Deno.readTextFileSync(new URL("../../docs/proxy.md", import.meta.url));
  assert.match(doc, /resources: \["users", "groups"\]\n\s+verbs: \["impersonate"\]/);
  assert.match(doc, /no\s+`impersonate` on `serviceaccounts`, `uids` or `userextras`/);
});
