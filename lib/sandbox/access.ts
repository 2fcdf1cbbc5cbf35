/**
 * Copy-paste access to every sandbox cluster through the proxy: on each cell a
 * `lattice-sandbox-admin` ServiceAccount (cluster-admin there, so it may proxy) and a token;
 * on each cluster below a cell, a ClusterRoleBinding of the identity the proxy asserts there
 * (`lattice:<parent>:…:lattice:<cell>:system:serviceaccount:…`, docs/proxy.md) to
 * cluster-admin — a real role with its own rules, not an aggregated one (the sandbox runs no
 * controller-manager to fill those). One kubeconfig per (cluster, cell it goes through), with
 * the cell's CA and the token, so `kubectl --kubeconfig FILE ...` works as printed.
 */
import { isAlreadyExists, KubeClient, type KubeObject } from "../kube/mod.ts";
import { proxyKubeconfig } from "../proxy/kubeconfig.ts";

/** The sandbox admin's ServiceAccount on every cell. */
export const SANDBOX_ADMIN = { name: "lattice-sandbox-admin", namespace: "lattice-system" };

/** A cell of the sandbox: its proxy URL, CA and admin kubeconfig (text). */
export interface AccessCell {
  url: string;
  caPem: string;
  kubeconfig: string;
}

/** What {@linkcode sandboxAccess} works on. */
export interface SandboxAccessOptions {
  /** Folder the kubeconfigs go to (`<dir>/<cluster>.via-<cell>.yaml`). */
  dir: string;
  /** Every cluster below the bootstrap cell, with its parent and admin kubeconfig (text). */
  clusters: { name: string; parent?: string; kubeconfig: string }[];
  /** The cells by name (bootstrap included). */
  cells: Record<string, AccessCell>;
  /** Token lifetime; default 24 h. */
  ttlSeconds?: number;
}

/** One kubeconfig written: which cluster it reaches, through which cell, and its hops. */
export interface AccessFile {
  cluster: string;
  via: string;
  /** The clusters the request passes, `via`'s child first (1 = direct child). */
  hops: string[];
  path: string;
}

async function ensure(client: KubeClient, obj: KubeObject): Promise<void> {
  try {
    await client.apply(obj);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

function adminBinding(name: string, subject: Record<string, string>): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name, labels: { "app.kubernetes.io/part-of": "lattice-sandbox" } },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [subject],
  } as KubeObject;
}

async function withClient<T>(kubeconfig: string, fn: (c: KubeClient) => Promise<T>): Promise<T> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** The sandbox admin on a cell and a token for it. */
async function cellToken(cell: AccessCell, ttlSeconds: number): Promise<string> {
  const { name, namespace } = SANDBOX_ADMIN;
  return await withClient(cell.kubeconfig, async (client) => {
    await ensure(client, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    await ensure(client, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace },
    });
    await ensure(client, adminBinding(name, { kind: "ServiceAccount", name, namespace }));
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
  });
}

/** The user a cluster sees for the sandbox admin of `cell`, given the hops in between. */
export function proxiedUser(cell: string, hops: string[]): string {
  let user = `system:serviceaccount:${SANDBOX_ADMIN.namespace}:${SANDBOX_ADMIN.name}`;
  // The first hop's cell is `cell`; each further hop's cell is the previous hop.
  const cellsOnPath = [cell, ...hops.slice(0, -1)];
  for (const c of cellsOnPath) user = `lattice:${c}:${user}`;
  return user;
}

/**
 * Sets up the admin on every cell and the bindings below it, and writes one kubeconfig
 * per (cluster, cell above it). Returns the files written, nearest cell first.
 */
export async function sandboxAccess(options: SandboxAccessOptions): Promise<AccessFile[]> {
  const ttl = options.ttlSeconds ?? 86_400;
  const parentOf = new Map(options.clusters.map((c) => [c.name, c.parent]));
  const tokens = new Map<string, string>();
  for (const [name, cell] of Object.entries(options.cells)) {
    tokens.set(name, await cellToken(cell, ttl));
  }
  await Deno.mkdir(options.dir, { recursive: true });
  const files: AccessFile[] = [];
  for (const cluster of options.clusters) {
    // Walk up: every cell above the cluster can reach it, through the cells in between.
    const hops = [cluster.name];
    for (let via = cluster.parent; via !== undefined; via = parentOf.get(via)) {
      const cell = options.cells[via];
      const token = tokens.get(via);
      if (cell && token) {
        const user = proxiedUser(via, [...hops]);
        await withClient(
          cluster.kubeconfig,
          (client) =>
            ensure(
              client,
              adminBinding(`lattice-sandbox-admin-via-${via}`, {
                kind: "User",
                name: user,
                apiGroup: "rbac.authorization.k8s.io",
              }),
            ),
        );
        const path = `${options.dir}/${cluster.name}.via-${via}.yaml`;
        const text = proxyKubeconfig({
          cellUrl: cell.url,
          clusters: [...hops],
          token,
          caPem: cell.caPem,
          name: `${cluster.name}-via-${via}`,
        });
        await Deno.writeTextFile(path, text, { mode: 0o600 });
        files.push({ cluster: cluster.name, via, hops: [...hops], path });
      }
      hops.unshift(via);
      if (!parentOf.has(via)) break;
    }
  }
  return files;
}
