/**
 * Seed-shaped spec: `networking.default` (a Cilium LB-IPAM pool). A cluster runs Cilium
 * unless `networking.cni` says otherwise: with Cilium (the default) the pool and its L2
 * announcement policy are applied on the cluster; with another CNI none of them is, and
 * the LoadBalancerPools condition says why. Both reach Ready in the sandbox.
 */
import assert from "node:assert/strict";
import { names } from "../e2e/_fleet.ts";
import {
  conditionOf,
  kubeconfigOf,
  ownCluster,
  seedCluster,
  withSeedSandbox,
} from "./_seed_sandbox.ts";

Deno.test("LB-IPAM objects only where the CNI is Cilium; another CNI is told why", async () => {
  const cilium = seedCluster("pooled", {
    cellRef: "bootstrap",
    networking: { default: { cidr: "172.18.255.1/32" } },
  });
  const calico = seedCluster("calico", {
    cellRef: "bootstrap",
    networking: { default: { cidr: "172.18.255.2/32" }, cni: "calico" },
  });
  await withSeedSandbox([cilium, calico], async (sandbox) => {
    const phases = (await sandbox.rows()).map((r) => [r.name, r.phase]).sort();
    assert.deepEqual(phases, [["calico", "Ready"], ["pooled", "Ready"]]);

    const pooled = kubeconfigOf(sandbox, "pooled");
    assert.deepEqual(await names(pooled, "cilium.io/v2", "CiliumLoadBalancerIPPool"), ["default"]);
    assert.deepEqual(await names(pooled, "cilium.io/v2alpha1", "CiliumL2AnnouncementPolicy"), [
      "default",
    ]);
    const ok = conditionOf(await ownCluster(sandbox, "pooled"), "LoadBalancerPools");
    assert.equal(ok?.status, "True");
    assert.equal(ok?.reason, "CiliumLbIpam");

    const other = kubeconfigOf(sandbox, "calico");
    assert.deepEqual(await names(other, "cilium.io/v2", "CiliumLoadBalancerIPPool"), []);
    assert.deepEqual(await names(other, "cilium.io/v2alpha1", "CiliumL2AnnouncementPolicy"), []);
    const own = await ownCluster(sandbox, "calico");
    const refused = conditionOf(own, "LoadBalancerPools");
    assert.equal(refused?.status, "False");
    assert.equal(refused?.reason, "CniNotCilium");
    assert.match(refused?.message ?? "", /spec\.networking\.cni is calico/);
    assert.equal(own.status?.phase, "Ready", "the pool is not served; the cluster is fine");
  });
});
