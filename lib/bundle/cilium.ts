/**
 * Cilium LB-IPAM objects for `spec.networking.default.cidr`: the address pool of
 * LoadBalancer Services and an L2 announcement policy so the addresses answer ARP on the
 * nodes' network (cilium.io CRDs as of Cilium 1.19).
 */
import type { KubeObject } from "../kube/types.ts";
import { commonLabels } from "./names.ts";

/** Name of the default pool and announcement policy. */
export const DEFAULT_POOL_NAME = "lattice-default";

/** The LB-IPAM pool and L2 policy for `cidr`. */
export function ciliumLbIpamObjects(cidr: string): KubeObject[] {
  const labels = commonLabels("networking");
  return [
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumLoadBalancerIPPool",
      metadata: { name: DEFAULT_POOL_NAME, labels },
      spec: { blocks: [{ cidr }] },
    },
    {
      apiVersion: "cilium.io/v2alpha1",
      kind: "CiliumL2AnnouncementPolicy",
      metadata: { name: DEFAULT_POOL_NAME, labels },
      spec: { loadBalancerIPs: true },
    },
  ];
}
