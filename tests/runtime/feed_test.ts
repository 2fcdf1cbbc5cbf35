import assert from "node:assert/strict";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import type { Logger } from "../../lib/log/mod.ts";
import { createCa, issueServerCert } from "../../lib/pki/mod.ts";
import { feedStore, Store } from "../../lib/runtime/mod.ts";
import { eventually } from "./_eventually.ts";

const REF = {
  group: "example.dev",
  version: "v1",
  plural: "widgets",
  kind: "Widget",
  namespaced: true,
};

/** An API server whose widgets list is missing (404, a CRD not installed) until `installed`. */
async function fakeApi() {
  const ca = await createCa({ commonName: "feed-test-ca" });
  const serving = await issueServerCert(ca, { dnsNames: ["localhost"] });
  const state = { installed: false, lists: 0 };
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: serving.certPem,
    key: serving.keyPem,
    onListen: () => {},
  }, (req) => {
    const url = new URL(req.url);
    if (url.searchParams.get("watch") === "true") {
      // An empty watch that ends at once: the watcher lists again.
      return new Response("", { headers: { "content-type": "application/json" } });
    }
    state.lists++;
    if (!state.installed) return new Response("404 page not found", { status: 404 });
    return Response.json({
      apiVersion: "example.dev/v1",
      kind: "WidgetList",
      metadata: { resourceVersion: "1" },
      items: [{ metadata: { name: "a", namespace: "x", resourceVersion: "1" } }],
    });
  });
  const kubeconfig = JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "c",
      cluster: {
        server: `https://localhost:${server.addr.port}`,
        "certificate-authority-data": btoa(ca.certPem),
      },
    }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    "current-context": "c",
  });
  return { state, server, client: KubeClient.fromKubeconfig(kubeconfig) };
}

Deno.test("feedStore: a missing resource is said once at WARN, then quietly until a list succeeds", async () => {
  const api = await fakeApi();
  const lines: { level: string; msg: string }[] = [];
  const logger: Logger = {
    debug: (msg) => lines.push({ level: "debug", msg }),
    info: (msg) => lines.push({ level: "info", msg }),
    warn: (msg) => lines.push({ level: "warn", msg }),
    error: (msg) => lines.push({ level: "error", msg }),
    child: () => logger,
  };
  const stop = new AbortController();
  const store = new Store<KubeObject>();
  const seen: string[] = [];
  const feeding = feedStore(api.client, REF, store, {
    signal: stop.signal,
    logger,
    backoff: { initialMs: 5, maxMs: 20 },
  }, (o) => seen.push(o.metadata?.name ?? ""));
  try {
    await eventually(() => api.state.lists >= 4);
    const warns = () => lines.filter((l) => l.level === "warn");
    assert.equal(warns().length, 1, "one WARN for several failed lists");
    assert.equal(warns()[0].msg, "Widget watch failed; retrying");
    assert.ok(lines.filter((l) => l.level === "debug").length >= 2, "retries said at debug");
    api.state.installed = true;
    await eventually(() => seen.includes("a"));
    assert.ok(store.get("x/a"), "the store holds the listed object");
    api.state.installed = false;
    const listed = api.state.lists;
    await eventually(() => api.state.lists >= listed + 3);
    assert.equal(warns().length, 2, "a new failure after a good list is said again, once");
  } finally {
    stop.abort();
    await feeding.catch(() => {});
    await api.server.shutdown();
    api.client.close();
  }
});
