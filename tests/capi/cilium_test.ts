import assert from "node:assert/strict";
import { ciliumLbIpamObjects } from "../../lib/capi/mod.ts";
import { providerCluster } from "./fixtures.ts";

Deno.test("the LB-IPAM pool comes from spec.networking.default", () => {
  const [pool, policy] = ciliumLbIpamObjects(providerCluster("docker"));
  assert.equal(pool.kind, "CiliumLoadBalancerIPPool");
  assert.deepEqual(pool.spec, { blocks: [{ cidr: "172.18.255.1/32" }] });
  assert.equal(policy.kind, "CiliumL2AnnouncementPolicy");
  assert.equal(policy.metadata.namespace, undefined, "both are cluster-scoped");
});

Deno.test("no pool without spec.networking.default", () => {
  assert.deepEqual(ciliumLbIpamObjects(providerCluster("docker", { minimal: true })), []);
});
