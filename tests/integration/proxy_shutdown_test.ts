/**
 * SIGTERM or lost leadership during a proxied watch (issue #22): the end of the operator's
 * term stops the cell (lib/operator/lattice.ts `endTerm` → `cell.stop()`). A watch held
 * open through the cell's proxy to a real child apiserver, over a real agent stream, must
 * not hold the HTTPS server's graceful shutdown: the stop finishes within 1 s, the watch's
 * client sees its response end instead of hanging, and once the agent notices the stream
 * is gone nothing stays open — no request or relay on either end, no watch on the child.
 */
import assert from "node:assert/strict";
import { relayStats } from "../../lib/proxy/relay.ts";
import type { KubeClient } from "../../lib/kube/mod.ts";
import { readUntil } from "../proxy/_http.ts";
import { until } from "../_until.ts";
import { grantProxy, startCellEnv } from "./_cell_env.ts";
import { settlesWithin } from "./_settles.ts";

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

for (const protocol of ["h2", "http/1.1"] as const) {
  Deno.test(`cell stop during a proxied watch (${protocol}): within 1 s, the watch ends, nothing left open`, async () => {
    const env = await startCellEnv();
    const http = Deno.createHttpClient({ caCerts: [env.cell.caPem], http2: protocol === "h2" });
    try {
      await env.createCluster("child");
      await env.connectChild("child");
      await until(
        "the child's agent to connect",
        () => Promise.resolve(env.cell.registry.get("child")?.connected ? true : undefined),
        60_000,
      );
      await grantProxy(env, "alice", "child");
      const alice = await env.token("alice");
      await env.childClient.apply({
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
          name: "lattice:root:system:serviceaccount:default:alice",
          apiGroup: "rbac.authorization.k8s.io",
        }],
      });
      const before = await configMapWatches(env.childClient);

      // A watch through the cell's proxy, running on the child, with events flowing.
      const res = await fetch(
        `https://localhost:${env.port}/clusters/child/api/v1/namespaces/default/configmaps?watch=1`,
        { headers: { authorization: `Bearer ${alice}` }, client: http },
      );
      assert.equal(res.status, 200);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      await until(
        "the watch to run on the child",
        async () => (await configMapWatches(env.childClient)) > before ? true : undefined,
        60_000,
      );
      for (const name of ["w1", "w2"]) {
        await env.childClient.create({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name, namespace: "default" },
        });
        const text = await readUntil(reader, (s) => s.includes(`"name":"${name}"`));
        assert.match(text, /"type":"ADDED"/);
      }
      assert.equal(env.cell.proxyTransport.inFlight, 1, "the watch is open on the cell");
      assert.equal(env.executors[0].inFlight, 1, "the watch is open on the agent");

      // The client keeps reading: its response must end (cleanly or with an error), not hang.
      const clientEnd = (async () => {
        try {
          while (!(await reader.read()).done) { /* more events, if any */ }
          return "ended";
        } catch {
          return "failed";
        }
      })();

      // What SIGTERM and a lost Lease do to a term's cell.
      const started = performance.now();
      // Bounded only so a regression fails instead of hanging the suite.
      const stopped = await settlesWithin(env.cell.stop(), 30_000);
      const stopMs = performance.now() - started;
      assert.ok(stopped, "cell.stop() returns with a proxied watch open");
      assert.ok(stopMs < 1_000, `cell.stop() took ${Math.round(stopMs)} ms with a watch open`);

      assert.ok(await settlesWithin(clientEnd, 30_000), "the watch's client sees its response end");

      assert.equal(env.cell.proxyTransport.inFlight, 0, "no proxied request open on the cell");
      assert.equal(env.cell.proxyTransport.openRelays, 0, "no relay open on the cell");
      // The agent notices its stream is gone and cancels what it ran for the cell.
      await until(
        "the agent to end the watch",
        () =>
          Promise.resolve(
            env.executors.every((e) => e.inFlight === 0 && e.openRelays === 0) ? true : undefined,
          ),
        60_000,
      );
      assert.equal(env.executors[0].bodiesInFlight, 0, "no request body open on the agent");
      assert.equal(relayStats.open, 0, "no frame relay open in this process");
      await until(
        "the watch to end on the child's apiserver",
        async () => (await configMapWatches(env.childClient)) === before ? true : undefined,
        60_000,
      );
    } finally {
      http.close();
      await env.close();
    }
  });
}
