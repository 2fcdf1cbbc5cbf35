/**
 * SIGTERM to a real `lattice operator` process (a leader-elected cell) while a caller holds a
 * watch open through its proxy to a real child apiserver over a real agent stream (issue
 * #22): the process exits cleanly within 1 s, the watch's client sees its response end, and
 * once the agent notices its stream is gone nothing stays open on the child.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { AgentClient } from "../../lib/agent/mod.ts";
import { KubeClient } from "../../lib/kube/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { createCsr, generateKeyPair, loadOrCreateCa, signClientCsr } from "../../lib/pki/mod.ts";
import { cancelProxyOnDisconnect, ProxyExecutor, proxyHandlers } from "../../lib/proxy/mod.ts";
import { startControlPlane } from "../../lib/sandbox/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { readUntil } from "../proxy/_http.ts";
import { until } from "../_until.ts";
import { clusterDoc, CRDS } from "./_cluster_helpers.ts";
import { settlesWithin } from "./_settles.ts";

const LEASE_REF = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true,
};
const USER = "system:serviceaccount:default:alice";

/** A loopback port free now (the operator is told it; 0 would hide it from the test). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Live configmap watches on an apiserver (from its metrics). */
async function configMapWatches(client: KubeClient): Promise<number> {
  const res = await client.fetchRaw({
    method: "GET",
    path: "/metrics",
    headers: { accept: "text/plain" },
  });
  let n = 0;
  for (const line of (await res.text()).split("\n")) {
    if (
      line.startsWith("apiserver_longrunning_requests{") &&
      line.includes('resource="configmaps"') && line.includes('verb="WATCH"')
    ) n += Number(line.split(" ").at(-1));
  }
  return n;
}

Deno.test("SIGTERM during a proxied watch: the operator exits within 1 s, nothing left open", async () => {
  const logger = createLogger({ level: "error", format: "text" });
  const [parent, childPlane] = await Promise.all([
    startControlPlane({ name: "shutdown-watch-parent", crds: CRDS }),
    startControlPlane({ name: "shutdown-watch-child" }),
  ]);
  const client = KubeClient.fromKubeconfig(parent.kubeconfig);
  const childClient = KubeClient.fromKubeconfig(childPlane.kubeconfig);
  const httpsPort = freePort();
  const grpcPort = freePort();
  const operator = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../main.ts", import.meta.url).pathname,
      "operator",
      "--kubeconfig",
      parent.kubeconfigPath,
      "--cluster-name",
      "root",
      "--https-port",
      String(httpsPort),
      "--grpc-port",
      String(grpcPort),
      "--metrics-port",
      "0",
      "--leader-elect",
      "--lease-namespace",
      "lattice-system",
      "--identity",
      "a",
      "--log-level",
      "warn",
    ],
    stdout: "null",
    stderr: Deno.env.get("LATTICE_TEST_VERBOSE") ? "inherit" : "null",
  }).spawn();
  let agent: AgentClient | undefined;
  let http: Deno.HttpClient | undefined;
  const executor = new ProxyExecutor(childClient, "root", { logger });
  try {
    await client.apply({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "lattice-system" },
    });
    const root = minimalClusterDocument("root");
    root.spec.cell = { enabled: true, host: "localhost" };
    await client.apply(root as unknown as Parameters<typeof client.apply>[0]);
    await until("a to lead", async () => {
      const lease = await client.get<{ spec?: { holderIdentity?: string } }>(
        LEASE_REF,
        "lattice-operator",
        "lattice-system",
      );
      return lease.spec?.holderIdentity === "a" ? true : undefined;
    }, 60_000);
    // The cell listens once its CA exists (it creates it): then its agent may connect.
    await until("the cell to serve", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: httpsPort });
      conn.close();
      return true;
    }, 60_000);
    await client.create(clusterDoc("child", { cellRef: "root" }));

    // The child's agent: a certificate of the cell's CA, the proxy executor on the child.
    const ca = await loadOrCreateCa(client, { commonName: "lattice-cell-root" });
    const { keys, privateKeyPem } = await generateKeyPair();
    const certPem = await signClientCsr(ca, await createCsr(keys, { commonName: "child" }), {
      identity: "child",
    });
    agent = new AgentClient({
      address: `localhost:${grpcPort}`,
      clusterName: "child",
      credentials: { caPem: ca.certPem, certPem, keyPem: privateKeyPem },
      handlers: proxyHandlers(executor),
      heartbeatIntervalMs: 1_000,
      backoff: { initialMs: 50, maxMs: 500 },
      logger,
    });
    cancelProxyOnDisconnect(agent, executor);
    agent.start();

    // alice may proxy to the child on the cell and is cluster-admin on the child.
    await client.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "proxy-child" },
      rules: [{
        apiGroups: ["lattice.dev"],
        resources: ["latticeclusters"],
        verbs: ["proxy"],
        resourceNames: ["child"],
      }],
    });
    await client.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "proxy-child-alice" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "proxy-child" },
      subjects: [{ kind: "User", name: USER }],
    });
    await childClient.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "alice-admin" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "cluster-admin",
      },
      subjects: [{
        kind: "User",
        name: `lattice:root:${USER}`,
        apiGroup: "rbac.authorization.k8s.io",
      }],
    });
    await client.request({
      method: "POST",
      path: "/api/v1/namespaces/default/serviceaccounts",
      body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "alice" } },
    });
    const alice = (await client.request<{ status: { token: string } }>({
      method: "POST",
      path: "/api/v1/namespaces/default/serviceaccounts/alice/token",
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      },
    })).status.token;

    // A watch through the process's proxy, running on the child, with events flowing.
    http = Deno.createHttpClient({ caCerts: [ca.certPem] });
    const before = await configMapWatches(childClient);
    const res = await until("the proxy to reach the child", async () => {
      const res = await fetch(
        `https://localhost:${httpsPort}/clusters/child/api/v1/namespaces/default/configmaps?watch=1`,
        { headers: { authorization: `Bearer ${alice}` }, client: http },
      );
      if (res.status === 200) return res;
      await res.body?.cancel();
      return undefined;
    }, 60_000);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    await until(
      "the watch to run on the child",
      async () => (await configMapWatches(childClient)) > before ? true : undefined,
      60_000,
    );
    for (const name of ["w1", "w2"]) {
      await childClient.create({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, namespace: "default" },
      });
      const text = await readUntil(reader, (s) => s.includes(`"name":"${name}"`));
      assert.match(text, /"type":"ADDED"/);
    }
    assert.equal(executor.inFlight, 1, "the watch is open on the agent");

    // The client keeps reading: its response must end (cleanly or with an error), not hang.
    const clientEnd = (async () => {
      try {
        while (!(await reader.read()).done) { /* more events, if any */ }
        return "ended";
      } catch {
        return "failed";
      }
    })();

    const sent = performance.now();
    operator.kill("SIGTERM");
    // Bounded only so a regression fails instead of hanging the suite (finally kills it).
    const exited = await settlesWithin(operator.status, 30_000);
    const exitMs = performance.now() - sent;
    assert.ok(exited, "the operator exits with a proxied watch open");
    assert.equal((await operator.status).code, 0, "a clean exit");
    assert.ok(exitMs < 1_000, `exited ${Math.round(exitMs)} ms after SIGTERM with a watch open`);

    assert.ok(await settlesWithin(clientEnd, 30_000), "the watch's client sees its response end");
    // The agent notices its stream is gone and cancels what it ran for the cell.
    await until(
      "the agent to end the watch",
      () =>
        Promise.resolve(executor.inFlight === 0 && executor.openRelays === 0 ? true : undefined),
      60_000,
    );
    assert.equal(executor.bodiesInFlight, 0, "no request body open on the agent");
    await until(
      "the watch to end on the child's apiserver",
      async () => (await configMapWatches(childClient)) === before ? true : undefined,
      60_000,
    );
  } finally {
    try {
      operator.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await operator.status;
    executor.cancelAll();
    await agent?.stop();
    http?.close();
    client.close();
    childClient.close();
    await Promise.all([parent.stop(), childPlane.stop()]);
  }
});
