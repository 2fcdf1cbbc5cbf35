/**
 * A real cell under attack, for the security tests and the abuse benchmark: a parent
 * control plane with the LatticeCluster CRD, the cell's servers as the operator starts them
 * (`startCell`: guarded HTTPS with webhook and proxy, agent gRPC server with admission), a
 * child control plane whose agent connects over a real mTLS stream with a certificate of the
 * cell's CA, and service-account tokens of the parent for callers. Loopback only.
 */
import { AgentClient, type CommandHandlers } from "../../lib/agent/mod.ts";
import type { CellLimits } from "../../lib/cell/limits.ts";
import { EventRecorder, KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { createLogger, type Logger } from "../../lib/log/mod.ts";
import { type Cell, startCell } from "../../lib/operator/cell_role.ts";
import { createCsr, generateKeyPair, loadOrCreateCa, signClientCsr } from "../../lib/pki/mod.ts";
import { cancelProxyOnDisconnect, ProxyExecutor, proxyHandlers } from "../../lib/proxy/mod.ts";
import { type ControlPlane, startControlPlane } from "../../lib/sandbox/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";

/** The cell's cluster name: children see callers as `lattice:root:<user>`. */
export const CELL = "root";

/** Credentials of an agent of the cell. */
export interface AgentCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** The running setup. */
export interface CellEnv {
  parent: ControlPlane;
  child: ControlPlane;
  parentClient: KubeClient;
  childClient: KubeClient;
  cell: Cell;
  /** The cell's HTTPS port on 127.0.0.1 (name `localhost`). */
  port: number;
  /** Creates the LatticeCluster `name` on the parent (it then lives on the cell). */
  createCluster(name: string): Promise<void>;
  /** Deletes the LatticeCluster `name` and revokes like the deletion path does. */
  deleteCluster(name: string): Promise<void>;
  /** A client certificate of the cell's CA for `name`. */
  credentials(name: string, validityDays?: number): Promise<AgentCredentials>;
  /** Starts an agent for `name` with `handlers`; stopped by close(). */
  agent(name: string, credentials: AgentCredentials, handlers?: CommandHandlers): AgentClient;
  /** Starts the child plane's agent as cluster `name` (the proxy executor on the child). */
  connectChild(name: string): Promise<AgentClient>;
  /** The proxy executors started by connectChild (their open requests can be counted). */
  executors: ProxyExecutor[];
  /** A token of service account `name` in `default` on the parent. */
  token(name: string): Promise<string>;
  /** fetch() against the cell (the caller consumes the body). */
  fetch(path: string, token: string | undefined, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Options for {@linkcode startCellEnv}. */
export interface CellEnvOptions {
  limits?: CellLimits;
  logger?: Logger;
  /** Whether to start the child plane (default true). */
  child?: boolean;
}

async function serviceAccountToken(client: KubeClient, name: string): Promise<string> {
  await client.request({
    method: "POST",
    path: "/api/v1/namespaces/default/serviceaccounts",
    body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } },
  }).catch(() => {});
  const review = await client.request<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/default/serviceaccounts/${name}/token`,
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    },
  });
  return review.status.token;
}

/** Starts the planes and the cell. */
export async function startCellEnv(options: CellEnvOptions = {}): Promise<CellEnv> {
  const logger = options.logger ?? createLogger({ level: "error", format: "text" });
  const [parent, child] = await Promise.all([
    startControlPlane({ name: "abuse-parent", crds: { lattice: true } }),
    options.child === false
      ? Promise.resolve(undefined)
      : startControlPlane({ name: "abuse-child" }),
  ]);
  const parentClient = KubeClient.fromKubeconfig(parent.kubeconfig);
  const childClient = child ? KubeClient.fromKubeconfig(child.kubeconfig) : parentClient;
  const cell = await startCell(parentClient, {
    name: CELL,
    host: "localhost",
    httpsPort: 0,
    grpcPort: 0,
    bindAddress: "127.0.0.1",
    limits: options.limits,
    recorder: new EventRecorder(parentClient, { component: "lattice.dev/test", logger }),
    logger,
  });
  const ca = await loadOrCreateCa(parentClient, { commonName: `lattice-cell-${CELL}` });
  const port = Number(new URL(cell.url).port);
  const http = Deno.createHttpClient({ caCerts: [cell.caPem] });
  const agents: AgentClient[] = [];
  const executors: ProxyExecutor[] = [];
  const tokens = new Map<string, string>();
  const env: CellEnv = {
    parent,
    child: child ?? parent,
    parentClient,
    childClient,
    cell,
    port,
    async createCluster(name) {
      const doc = minimalClusterDocument(name);
      await parentClient.create({ ...doc, spec: { ...doc.spec, cellRef: CELL } } as KubeObject);
    },
    async deleteCluster(name) {
      const { revokeClusterCertificates } = await import("../../lib/cell/revocation.ts");
      const ref = await parentClient.resourceFor("lattice.dev/v1alpha1", "LatticeCluster");
      await parentClient.delete(ref, name, undefined, { ignoreNotFound: true });
      await revokeClusterCertificates(parentClient, name);
    },
    async credentials(name, validityDays) {
      const { keys, privateKeyPem } = await generateKeyPair();
      const csr = await createCsr(keys, { commonName: name });
      const certPem = await signClientCsr(ca, csr, { identity: name, validityDays });
      return { caPem: ca.certPem, certPem, keyPem: privateKeyPem };
    },
    agent(name, credentials, handlers) {
      const agent = new AgentClient({
        address: cell.grpcEndpoint,
        clusterName: name,
        credentials,
        handlers,
        heartbeatIntervalMs: 1_000,
        backoff: { initialMs: 50, maxMs: 200 },
        logger,
      });
      agents.push(agent);
      agent.start();
      return agent;
    },
    executors,
    async connectChild(name) {
      const executor = new ProxyExecutor(childClient, CELL, { logger });
      executors.push(executor);
      const agent = env.agent(name, await env.credentials(name), proxyHandlers(executor));
      cancelProxyOnDisconnect(agent, executor);
      return agent;
    },
    async token(name) {
      const known = tokens.get(name);
      if (known) return known;
      const token = await serviceAccountToken(parentClient, name);
      tokens.set(name, token);
      return token;
    },
    fetch(path, token, init = {}) {
      const headers = new Headers(init.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      return fetch(`https://localhost:${port}${path}`, { ...init, headers, client: http });
    },
    async close() {
      for (const executor of executors) executor.cancelAll();
      await Promise.all(agents.map((a) => a.stop()));
      http.close();
      await cell.stop();
      parentClient.close();
      if (child) childClient.close();
      await Promise.all([parent.stop(), child?.stop()]);
    },
  };
  return env;
}

/**
 * Lets `serviceAccount` of the parent proxy to `cluster` (verb proxy on latticeclusters),
 * or to every cluster when `cluster` is `*`.
 */
export async function grantProxy(
  env: CellEnv,
  serviceAccount: string,
  cluster: string,
): Promise<void> {
  const names = cluster === "*" ? {} : { resourceNames: [cluster] };
  const role = cluster === "*" ? "all" : cluster;
  await env.parentClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: `proxy-${role}` },
    rules: [{
      apiGroups: ["lattice.dev"],
      resources: ["latticeclusters"],
      verbs: ["proxy"],
      ...names,
    }],
  });
  await env.parentClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: `proxy-${role}-${serviceAccount}` },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `proxy-${role}` },
    subjects: [{ kind: "User", name: `system:serviceaccount:default:${serviceAccount}` }],
  });
}
