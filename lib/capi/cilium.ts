/**
 * Cilium LB-IPAM objects of a cluster, from spec.networking.default: a
 * CiliumLoadBalancerIPPool and a CiliumL2AnnouncementPolicy that answers ARP for its
 * addresses. They are applied on the CHILD (in its bootstrap bundle), not on the cell, and
 * only when the child runs Cilium (`spec.networking.cni`, cilium by default).
 */
import { type LatticeCluster, runsCilium } from "../api/mod.ts";
import { LATTICE_CLUSTER_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from "./labels.ts";
import type { KubeObject } from "./types.ts";

/** Name of the default pool and announcement policy. */
export const DEFAULT_POOL_NAME = "default";

/**
 * The LB-IPAM objects of `cluster`; empty when spec.networking.default is unset (then
 * LoadBalancer Services stay pending unless something else assigns addresses) or when the
 * cluster runs another CNI than Cilium (its status then says so: LoadBalancerPools).
 */
export function ciliumLbIpamObjects(cluster: LatticeCluster): KubeObject[] {
  const pool = cluster.spec.networking?.default;
  if (!pool || !runsCilium(cluster.spec)) return [];
  const labels = {
    [LATTICE_CLUSTER_LABEL]: cluster.metadata.name,
    [MANAGED_BY_LABEL]: MANAGED_BY,
  };
  return [
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumLoadBalancerIPPool",
      metadata: { name: DEFAULT_POOL_NAME, labels },
      spec: { blocks: [{ cidr: pool.cidr }] },
    },
    {
      apiVersion: "cilium.io/v2alpha1",
      kind: "CiliumL2AnnouncementPolicy",
      metadata: { name: DEFAULT_POOL_NAME, labels },
      // Workers and control-plane nodes alike may announce; only LoadBalancer IPs.
      spec: { loadBalancerIPs: true, externalIPs: false },
    },
  ];
}
