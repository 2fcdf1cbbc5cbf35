/** RBAC fixtures of the proxy integration tests (on the real planes of a ProxyEnv). */
import { CELL, CHILD, GRANDCHILD, type ProxyEnv } from "./_env.ts";

/**
 * Lets `user` (a parent identity) through the child's own proxy to the grandchild, and read
 * configmaps in `team` there, where the user carries both prefixes.
 */
export async function grantNestedAccess(env: ProxyEnv, user: string): Promise<void> {
  const nestedUser = `lattice:${CHILD}:lattice:${CELL}:${user}`;
  await env.childClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "proxy-grandchild" },
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "proxy-gc",
    },
    subjects: [{ kind: "User", name: `lattice:${CELL}:${user}` }],
  });
  await env.childClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "proxy-gc" },
    rules: [{
      apiGroups: ["lattice.dev"],
      resources: ["latticeclusters"],
      verbs: ["proxy"],
      resourceNames: [GRANDCHILD],
    }],
  });
  // On the grandchild (the parent plane here), the user carries both prefixes.
  await env.parentClient.apply({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "team" },
  });
  await env.parentClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "cm-reader", namespace: "team" },
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
  });
  await env.parentClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "cm-reader", namespace: "team" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-reader" },
    subjects: [{ kind: "User", name: nestedUser }],
  });
}

/** Lets service account `name` (on the parent) proxy to every cluster. */
export async function grantProxyEverywhere(env: ProxyEnv, name: string): Promise<void> {
  await env.parentClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "proxy-all" },
    rules: [{ apiGroups: ["lattice.dev"], resources: ["latticeclusters"], verbs: ["proxy"] }],
  });
  await env.parentClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: `proxy-all-${name}` },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "proxy-all" },
    subjects: [{ kind: "User", name: `system:serviceaccount:default:${name}` }],
  });
}
