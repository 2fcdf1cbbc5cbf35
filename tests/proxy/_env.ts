/**
 * A real proxy setup for integration tests and the benchmark: a parent control plane (the
 * cell's own API, for TokenReview and SubjectAccessReview), a child control plane, the
 * cell's proxy on Deno.serve over HTTPS (localhost certificate), and the child's executor
 * reached in process or over a real agent gRPC stream.
 */
import "reflect-metadata";
import { KubeClient } from "../../lib/kube/mod.ts";
import type { Logger } from "../../lib/log/mod.ts";
import { createCa, issueServerCert } from "../../lib/pki/mod.ts";
import {
  InProcessTransport,
  nestedProxy,
  proxyApp,
  ProxyExecutor,
  proxyKubeconfig,
  type ProxyTransport,
  subjectAccessReviewAuthorizer,
  tokenReviewAuthenticator,
} from "../../lib/proxy/mod.ts";
import { type ControlPlane, startControlPlane } from "../../lib/sandbox/mod.ts";
import { serveGuarded } from "../../lib/cell/https_guard.ts";
import { overStream } from "./_stream.ts";

/** The cell's name: the impersonation prefix on the child is `lattice:root:`. */
export const CELL = "root";
/** The child's name in proxy paths. */
export const CHILD = "child";
/** The child's own child (served by the parent plane), for nested hops. */
export const GRANDCHILD = "grandchild";

/** The running setup. */
export interface ProxyEnv {
  parent: ControlPlane;
  child: ControlPlane;
  /** Admin clients of the two planes. */
  parentClient: KubeClient;
  childClient: KubeClient;
  /** The agent-side executor of the child. */
  executor: ProxyExecutor;
  /** Stream mode only: drops the agent's stream and resolves when it is back. */
  resetStream?(): Promise<void>;
  /** Live watches of configmaps on the child's apiserver (from its metrics). */
  childWatches(): Promise<number>;
  transport: ProxyTransport;
  /** https://localhost:PORT of the cell's proxy. */
  cellUrl: string;
  /** CA of the proxy's serving certificate. */
  cellCaPem: string;
  /** A token of service account `name` in `default` on the parent (created on first use). */
  token(name: string): Promise<string>;
  /** Writes a proxy kubeconfig for `token` and returns its path. */
  kubeconfig(token: string, clusters?: string[]): Promise<string>;
  /** fetch() against the cell with `token` (the caller consumes the body). */
  fetch(path: string, token: string | undefined, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Options for {@linkcode startProxyEnv}. */
export interface ProxyEnvOptions {
  /**
   * `stream`: the child's executor answers over a real agent gRPC stream (mTLS, registry,
   * StreamTransport); `in-process` (default): wired directly.
   */
  transport?: "in-process" | "stream";
  logger?: Logger;
}

/** How the cell reaches the child's executor. */
export interface Wiring {
  transport: ProxyTransport;
  resetStream?(): Promise<void>;
  close(): Promise<void>;
}

function inProcess(executor: ProxyExecutor): Wiring {
  const transport = new InProcessTransport();
  transport.set(CHILD, executor);
  transport.set("gone", null);
  return { transport, close: () => Promise.resolve() };
}

/** Starts both planes (in parallel) and the cell's HTTPS proxy. */
export async function startProxyEnv(options: ProxyEnvOptions = {}): Promise<ProxyEnv> {
  const [parent, child] = await Promise.all([
    startControlPlane({ name: "proxy-parent" }),
    startControlPlane({ name: "proxy-child" }),
  ]);
  const parentClient = KubeClient.fromKubeconfig(parent.kubeconfig);
  const childClient = KubeClient.fromKubeconfig(child.kubeconfig);
  const dir = await Deno.makeTempDir({ prefix: "lattice-proxy-test-" });
  // The child is a cell too: its child "grandchild" is played by the parent plane, so the
  // nested hop /clusters/child/clusters/grandchild needs no third plane.
  const grandExecutor = new ProxyExecutor(parentClient, CHILD, { logger: options.logger });
  const grandTransport = new InProcessTransport();
  grandTransport.set(GRANDCHILD, grandExecutor);
  const executor = new ProxyExecutor(childClient, CELL, {
    logger: options.logger,
    nested: nestedProxy({
      transport: grandTransport,
      // Uncached, so RBAC granted mid-test takes effect at once.
      authorizer: subjectAccessReviewAuthorizer(childClient, { ttlMs: 0 }),
      logger: options.logger,
    }),
  });
  const wiring = options.transport === "stream"
    ? await overStream(executor, options.logger)
    : inProcess(executor);
  const app = proxyApp({
    transport: wiring.transport,
    authenticator: tokenReviewAuthenticator(parentClient),
    authorizer: subjectAccessReviewAuthorizer(parentClient),
    // One client measures the proxy's own throughput here; rate limits have their tests
    // (tests/integration/security_proxy_test.ts) and benchmark (bench/abuse.ts).
    rateLimit: false,
    userRateLimit: false,
    logger: options.logger,
  });
  const ca = await createCa({ commonName: "proxy-test-ca" });
  const serving = await issueServerCert(ca, {
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  // The cell's own HTTPS front (connection guard), as the operator serves the proxy; its
  // limits opened up so one test client can push the proxy's own throughput.
  const server = serveGuarded((request, info) => app.fetch(request, info), {
    hostname: "127.0.0.1",
    port: 0,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    limits: {
      uploadBytesPerSecond: 1 << 30,
      connectionRate: { burst: 10_000, perMinute: 600_000 },
      maxConnectionsPerClient: 4096,
    },
  });
  const cellUrl = `https://localhost:${server.addr.port}`;
  const http = Deno.createHttpClient({ caCerts: [ca.certPem] });
  const tokens = new Map<string, string>();
  return {
    parent,
    child,
    parentClient,
    childClient,
    executor,
    transport: wiring.transport,
    resetStream: wiring.resetStream,
    cellUrl,
    cellCaPem: ca.certPem,
    async childWatches() {
      const res = await childClient.fetchRaw({
        method: "GET",
        path: "/metrics",
        headers: { accept: "text/plain" },
      });
      const text = await res.text();
      let n = 0;
      for (const line of text.split("\n")) {
        if (
          line.startsWith("apiserver_longrunning_requests{") &&
          line.includes('resource="configmaps"') && line.includes('verb="WATCH"')
        ) n += Number(line.split(" ").at(-1));
      }
      return n;
    },
    async token(name) {
      const known = tokens.get(name);
      if (known) return known;
      await parentClient.request({
        method: "POST",
        path: "/api/v1/namespaces/default/serviceaccounts",
        body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } },
      }).catch(() => {});
      const review = await parentClient.request<{ status: { token: string } }>({
        method: "POST",
        path: `/api/v1/namespaces/default/serviceaccounts/${name}/token`,
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: 3600 },
        },
      });
      tokens.set(name, review.status.token);
      return review.status.token;
    },
    async kubeconfig(token, clusters = [CHILD]) {
      const path = `${dir}/${crypto.randomUUID()}.yaml`;
      const text = proxyKubeconfig({ cellUrl, clusters, token, caPem: ca.certPem });
      await Deno.writeTextFile(path, text);
      return path;
    },
    fetch(path, token, init = {}) {
      const headers = new Headers(init.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      return fetch(`${cellUrl}${path}`, { ...init, headers, client: http });
    },
    async close() {
      executor.cancelAll();
      grandExecutor.cancelAll();
      http.close();
      await server.shutdown();
      await wiring.close();
      parentClient.close();
      childClient.close();
      await Promise.all([parent.stop(), child.stop()]);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The RBAC of the tests: who may proxy on the parent, what they may do on the child. */
export async function grantAccess(env: ProxyEnv, serviceAccount: string): Promise<void> {
  const user = `system:serviceaccount:default:${serviceAccount}`;
  await env.parentClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "proxy-child" },
    rules: [{
      apiGroups: ["lattice.dev"],
      resources: ["latticeclusters"],
      verbs: ["proxy"],
      resourceNames: [CHILD],
    }],
  });
  await env.parentClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: `proxy-child-${serviceAccount}` },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "proxy-child" },
    subjects: [{ kind: "User", name: user }],
  });
  // On the child, the parent's user is known only by its prefixed name.
  await env.childClient.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } });
  await env.childClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "configmap-editor", namespace: "team" },
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }],
  });
  await env.childClient.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: `configmap-editor-${serviceAccount}`, namespace: "team" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmap-editor" },
    subjects: [{ kind: "User", name: `lattice:${CELL}:${user}` }],
  });
}
