/**
 * The operator's RBAC, split by purpose so each grant can be audited (and dropped) on its
 * own; see docs/adr/operator-rbac.md for why each rule exists. No cluster-admin.
 */
import type { KubeObject } from "../kube/types.ts";
import { commonLabels, NAMESPACE, OPERATOR_NAME } from "./names.ts";
import { meshRules } from "./rbac_mesh.ts";

/** One RBAC policy rule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const ALL = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const READ = ["get", "list", "watch"];

/** API groups of Cluster API and the providers Lattice drives (pivot import and reconcile). */
export const CAPI_GROUPS = [
  "cluster.x-k8s.io",
  "bootstrap.cluster.x-k8s.io",
  "controlplane.cluster.x-k8s.io",
  "infrastructure.cluster.x-k8s.io",
  "addons.cluster.x-k8s.io",
  "ipam.cluster.x-k8s.io",
  "runtime.cluster.x-k8s.io",
];

/** Rules of the `lattice-operator` ClusterRole: reconcile, provision, pivot. */
export function operatorRules(): PolicyRule[] {
  return [
    // Own resources: every LatticeCluster (its own, and children when it is a cell).
    { apiGroups: ["lattice.dev"], resources: ["*"], verbs: ALL },
    // The pivot imports the CAPI graph; afterwards the cluster reconciles it itself.
    { apiGroups: CAPI_GROUPS, resources: ["*"], verbs: ALL },
    // CAPI graphs reference Secrets/ConfigMaps (kubeconfigs, CA, bootstrap data) in the
    // capi-<name> namespaces, which the pivot creates.
    { apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ALL },
    { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch", "create"] },
    // Health reporting (ClusterHealth) and the cell's endpoint Service.
    { apiGroups: [""], resources: ["nodes"], verbs: READ },
    { apiGroups: [""], resources: ["services"], verbs: READ },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
    // Keeping its own CRDs current after an upgrade of the binary.
    {
      apiGroups: ["apiextensions.k8s.io"],
      resources: ["customresourcedefinitions"],
      verbs: ["get", "list", "watch", "create", "update", "patch"],
    },
    // Authenticating agents' and proxy callers' bearer tokens on the cell.
    { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
    {
      apiGroups: ["authorization.k8s.io"],
      resources: ["subjectaccessreviews"],
      verbs: ["create"],
    },
    // The service mesh: workloads, Cilium/Istio policies, environments' namespaces.
    ...meshRules(),
  ];
}

/**
 * Rules of `lattice-proxy`: the agent serves the parent's API proxy by impersonating the
 * caller the parent authenticated, so this cluster's own RBAC decides what they may do.
 * Users and groups only (always prefixed `lattice:<cell>:` by lib/proxy/identity.ts): no
 * service accounts, UIDs or extras, which the proxy never forwards (docs/proxy.md).
 */
export function proxyRules(): PolicyRule[] {
  return [{ apiGroups: [""], resources: ["users", "groups"], verbs: ["impersonate"] }];
}

/** Rules of the namespaced `lattice-leader-election` Role: the Lease of the leader. */
export function leaderElectionRules(): PolicyRule[] {
  return [
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ALL.slice(0, 7) },
  ];
}

function binding(kind: "ClusterRoleBinding" | "RoleBinding", role: string): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: {
      name: role,
      ...(kind === "RoleBinding" ? { namespace: NAMESPACE } : {}),
      labels: commonLabels(),
    },
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: kind === "RoleBinding" ? "Role" : "ClusterRole",
      name: role,
    },
    subjects: [{ kind: "ServiceAccount", name: OPERATOR_NAME, namespace: NAMESPACE }],
  };
}

/** ServiceAccount, ClusterRoles, Role and their bindings, in apply order. */
export function rbacObjects(): KubeObject[] {
  const clusterRole = (name: string, rules: PolicyRule[]): KubeObject => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name, labels: commonLabels() },
    rules,
  });
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: OPERATOR_NAME, namespace: NAMESPACE, labels: commonLabels() },
    },
    clusterRole(OPERATOR_NAME, operatorRules()),
    clusterRole("lattice-proxy", proxyRules()),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "lattice-leader-election", namespace: NAMESPACE, labels: commonLabels() },
      rules: leaderElectionRules(),
    },
    binding("ClusterRoleBinding", OPERATOR_NAME),
    binding("ClusterRoleBinding", "lattice-proxy"),
    binding("RoleBinding", "lattice-leader-election"),
  ];
}
