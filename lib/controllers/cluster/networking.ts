/**
 * The LoadBalancerPools condition: a cluster asking for a LoadBalancer pool
 * (spec.networking.default) gets it through Cilium LB-IPAM only when it runs Cilium; with
 * another CNI no Cilium object is applied and the condition says so. Not part of Ready:
 * the cluster itself is fine, its pool is not served by Lattice.
 */
import { cniOf, runsCilium } from "../../api/mod.ts";
import { type ClusterScope, CONDITIONS, markCondition } from "./scope.ts";

/** Marks LoadBalancerPools when spec.networking.default is set; drops it otherwise. */
export function markLoadBalancerPools(scope: ClusterScope): void {
  const spec = scope.cluster.spec;
  const pool = spec.networking?.default;
  if (!pool) {
    const kept = scope.status.conditions?.filter((c) => c.type !== CONDITIONS.loadBalancerPools);
    if (kept && kept.length !== scope.status.conditions?.length) {
      scope.status.conditions = kept.length > 0 ? kept : undefined;
    }
    return;
  }
  if (runsCilium(spec)) {
    markCondition(
      scope,
      CONDITIONS.loadBalancerPools,
      "True",
      "CiliumLbIpam",
      `Pool ${pool.cidr} is served by Cilium LB-IPAM (CiliumLoadBalancerIPPool "default")`,
    );
    return;
  }
  markCondition(
    scope,
    CONDITIONS.loadBalancerPools,
    "False",
    "CniNotCilium",
    `spec.networking.default asks for pool ${pool.cidr}, but spec.networking.cni is ` +
      `${cniOf(spec)}: Lattice serves pools only with Cilium LB-IPAM, so no Cilium object ` +
      "was applied; assign LoadBalancer addresses with your CNI's own means, or use cilium",
  );
}
