/**
 * Helpers of the end-to-end test: reading objects, service-account
 * tokens and RBAC for reaching a cluster through a cell's proxy.
 */
import { KubeClient, type KubeObject, type ResourceRef } from "../../lib/kube/mod.ts";
import { LATTICE_CLUSTER_REF } from "../../lib/api/mod.ts";

/** The LatticeCluster resource. */
export const LATTICE_CLUSTER = LATTICE_CLUSTER_REF;

/** Lists `apiVersion/kind` on a plane (all namespaces), by name. */
export async function names(
  kubeconfig: string,
  apiVersion: string,
  kind: string,
  namespace?: string,
) {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const ref = await client.resourceFor(apiVersion, kind);
    const list = await client.list<KubeObject>(ref, { namespace });
    return list.items.map((o) => o.metadata?.name ?? "").sort();
  } finally {
    client.close();
  }
}

/** Reads one object, or undefined. */
export async function read(
  kubeconfig: string,
  ref: ResourceRef,
  name: string,
  namespace?: string,
): Promise<KubeObject | undefined> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    return await client.get<KubeObject>(ref, name, namespace);
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

/**
 * A service-account token on `cellKubeconfig` allowed to proxy to `cluster`, and a binding
 * on the cluster itself letting the impersonated caller read nodes: the child's own RBAC
 * decides what a proxied caller may do.
 */
export async function proxyAccess(
  cellKubeconfig: string,
  cellName: string,
  clusterKubeconfig: string,
  cluster: string,
): Promise<string> {
  const cell = KubeClient.fromKubeconfig(cellKubeconfig);
  const child = KubeClient.fromKubeconfig(clusterKubeconfig);
  try {
    await cell.apply({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "e2e", namespace: "default" },
    });
    await cell.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "e2e-proxy" },
      rules: [{
        apiGroups: ["lattice.dev"],
        resources: ["latticeclusters"],
        verbs: ["proxy"],
        resourceNames: [cluster],
      }],
    });
    await cell.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "e2e-proxy" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "e2e-proxy" },
      subjects: [{ kind: "ServiceAccount", name: "e2e", namespace: "default" }],
    });
    await child.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "e2e-view-nodes" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "e2e-nodes" },
      subjects: [{ kind: "User", name: `lattice:${cellName}:system:serviceaccount:default:e2e` }],
    });
    await child.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "e2e-nodes" },
      rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] }],
    });
    const review = await cell.request<{ status: { token: string } }>({
      method: "POST",
      path: "/api/v1/namespaces/default/serviceaccounts/e2e/token",
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      },
    });
    return review.status.token;
  } finally {
    cell.close();
    child.close();
  }
}
