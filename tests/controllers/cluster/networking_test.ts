import assert from "node:assert/strict";
import { cniOf, isCellSpec, runsCilium } from "../../../lib/api/mod.ts";
import { ciliumLbIpamObjects } from "../../../lib/capi/mod.ts";
import { type ClusterObject, CONDITIONS, newScope } from "../../../lib/controllers/cluster/mod.ts";
import { markLoadBalancerPools } from "../../../lib/controllers/cluster/networking.ts";
import { sandboxCellHost } from "../../../lib/sandbox/sandbox_operator.ts";
import { providerCluster } from "../../capi/fixtures.ts";

function cluster(networking?: ClusterObject["spec"]["networking"]): ClusterObject {
  const c = providerCluster("docker", { name: "net" }) as ClusterObject;
  c.spec.networking = networking;
  c.metadata.generation = 3;
  return c;
}

const POOL = { default: { cidr: "172.18.255.1/32" } };

Deno.test("a cell is spec.cell present and not enabled: false", () => {
  assert.equal(isCellSpec({ cell: { enabled: true, host: "h" } }), true);
  assert.equal(isCellSpec({ cell: {} }), true, "enabled defaults to true");
  assert.equal(isCellSpec({ cell: { enabled: false } }), false);
  assert.equal(isCellSpec({}), false);
  assert.equal(isCellSpec({ cell: null }), false);
  assert.equal(isCellSpec(undefined), false);
  assert.equal(isCellSpec("cell"), false);
});

Deno.test("the CNI is cilium unless networking.cni names another", () => {
  assert.equal(cniOf({}), "cilium");
  assert.equal(cniOf({ networking: { cni: "calico" } }), "calico");
  assert.equal(cniOf({ networking: { cni: 3 } }), "cilium");
  assert.equal(runsCilium(undefined), true);
  assert.equal(runsCilium({ networking: { cni: "cilium" } }), true);
  assert.equal(runsCilium({ networking: { cni: "flannel" } }), false);
});

Deno.test("LB-IPAM objects: with Cilium (the default) only, and only when a pool is asked", () => {
  assert.deepEqual(
    ciliumLbIpamObjects(cluster(POOL)).map((o) => o.kind),
    ["CiliumLoadBalancerIPPool", "CiliumL2AnnouncementPolicy"],
  );
  assert.deepEqual(ciliumLbIpamObjects(cluster({ ...POOL, cni: "calico" })), []);
  assert.deepEqual(ciliumLbIpamObjects(cluster({ cni: "cilium" })), []);
  assert.deepEqual(ciliumLbIpamObjects(cluster()), []);
});

Deno.test("LoadBalancerPools: True with Cilium, False naming the CNI, gone without a pool", () => {
  const now = new Date("2026-12-07T00:00:00Z");
  const served = newScope(cluster(POOL), now);
  markLoadBalancerPools(served);
  const ok = served.status.conditions?.find((c) => c.type === CONDITIONS.loadBalancerPools);
  assert.equal(ok?.status, "True");
  assert.equal(ok?.reason, "CiliumLbIpam");
  assert.equal(ok?.observedGeneration, 3);

  const other = newScope(cluster({ ...POOL, cni: "calico" }), now);
  markLoadBalancerPools(other);
  const refused = other.status.conditions?.find((c) => c.type === CONDITIONS.loadBalancerPools);
  assert.ok(refused);
  assert.equal(refused.status, "False");
  assert.equal(refused?.reason, "CniNotCilium");
  assert.match(
    refused?.message ?? "",
    /pool 172\.18\.255\.1\/32, but spec\.networking\.cni is calico/,
  );

  // The pool is dropped from the spec: the condition goes, other conditions stay.
  const dropped = cluster();
  dropped.status = {
    conditions: [
      ...(other.status.conditions ?? []),
      { ...refused, type: CONDITIONS.specValid, status: "True", reason: "Valid" },
    ],
  };
  const later = newScope(dropped, now);
  markLoadBalancerPools(later);
  assert.deepEqual(later.status.conditions?.map((c) => c.type), [CONDITIONS.specValid]);
  const none = newScope(cluster(), now);
  markLoadBalancerPools(none);
  assert.equal(none.status.conditions, undefined);
});

Deno.test("the sandbox keeps a loopback cell host and dials localhost otherwise", () => {
  assert.equal(sandboxCellHost(undefined), "localhost");
  assert.equal(sandboxCellHost("127.0.0.1"), "127.0.0.1");
  assert.equal(sandboxCellHost("127.3.2.1"), "127.3.2.1");
  assert.equal(sandboxCellHost("::1"), "::1");
  assert.equal(sandboxCellHost("172.18.255.1"), "localhost", "the spec's address is not here");
  assert.equal(sandboxCellHost("cell.example.com"), "localhost");
});
