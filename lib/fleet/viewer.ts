/**
 * A read-only fleet viewer on a cell (used by `lattice sandbox up`): a ServiceAccount whose
 * ClusterRole lets it see every LatticeCluster (`get`, `list`, `watch`) and proxy to them,
 * and a bounded-lifetime token for it (TokenRequest).
 */
import { isAlreadyExists, type KubeClient, type KubeObject } from "../kube/mod.ts";

/** Names of the viewer's objects. */
export const FLEET_VIEWER = { name: "lattice-fleet-viewer", namespace: "lattice-system" } as const;

async function ensure(client: KubeClient, obj: KubeObject): Promise<void> {
  try {
    await client.apply(obj);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

/** Creates (or keeps) the viewer and returns a new token valid for `ttlSeconds`. */
export async function fleetViewerToken(client: KubeClient, ttlSeconds = 86_400): Promise<string> {
  const { name, namespace } = FLEET_VIEWER;
  await ensure(client, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  await ensure(client, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
  await ensure(client, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name },
    rules: [{
      apiGroups: ["lattice.dev"],
      resources: ["latticeclusters"],
      verbs: ["get", "list", "watch", "proxy"],
    }],
  } as KubeObject);
  await ensure(client, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: [{ kind: "ServiceAccount", name, namespace }],
  } as KubeObject);
  const answer = await client.request<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: ttlSeconds },
    },
  });
  return answer.status.token;
}
