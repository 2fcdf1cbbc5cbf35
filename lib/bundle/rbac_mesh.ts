/**
 * RBAC of the service mesh controllers (lib/controllers/service): the workloads they
 * compile, the Cilium and Istio policies of agreed pairs and of default deny, and the
 * namespaces of LatticeEnvironments (labelled, never deleted). See docs/mesh.md.
 */
import type { PolicyRule } from "./rbac.ts";

const WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"];

/** Rules the mesh adds to the `lattice-operator` ClusterRole. */
export function meshRules(): PolicyRule[] {
  return [
    { apiGroups: ["apps"], resources: ["deployments"], verbs: WRITE },
    { apiGroups: [""], resources: ["services", "serviceaccounts", "configmaps"], verbs: WRITE },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: WRITE },
    { apiGroups: [""], resources: ["namespaces"], verbs: ["patch"] },
    {
      apiGroups: ["cilium.io"],
      resources: ["ciliumnetworkpolicies", "ciliumclusterwidenetworkpolicies"],
      verbs: WRITE,
    },
    { apiGroups: ["security.istio.io"], resources: ["authorizationpolicies"], verbs: WRITE },
    {
      apiGroups: ["networking.istio.io"],
      resources: ["virtualservices", "destinationrules"],
      verbs: WRITE,
    },
  ];
}
