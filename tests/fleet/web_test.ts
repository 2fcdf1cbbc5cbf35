import assert from "node:assert/strict";
import { parse } from "yaml";
import { fleetApp, type FleetSnapshot, hopsTo, renderLiveTree } from "../../lib/fleet/mod.ts";
import type { Authenticator } from "../../lib/proxy/auth.ts";
import { entry } from "./_fixtures.ts";
import {
  GOOD_TOKEN,
  NARROW_TOKEN,
  sampleFleet,
  stubAuthenticator,
  stubAuthorizer,
} from "./_page_server.ts";

function appFor(authenticator: Authenticator = stubAuthenticator, sse = {}) {
  const fleet = sampleFleet(2);
  const { app, hub } = fleetApp({
    state: fleet.root,
    authenticator,
    authorizer: stubAuthorizer,
    cellUrl: () => "https://cell.example:8443",
    caPem: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
    sse: { batchMs: 10, ...sse },
  });
  return { fleet, app, hub };
}

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function readEvent(reader: ReadableStreamDefaultReader<string>, buffer: { text: string }) {
  for (;;) {
    const at = buffer.text.indexOf("\n\n");
    if (at >= 0) {
      const block = buffer.text.slice(0, at);
      buffer.text = buffer.text.slice(at + 2);
      if (block.startsWith(":")) continue;
      const event = /event: (\w+)/.exec(block)?.[1];
      const data = /data: (.*)/.exec(block)?.[1];
      if (event && data) return { event, data: JSON.parse(data) };
      continue;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended");
    buffer.text += value;
  }
}

Deno.test("the fleet API refuses callers without a valid token", async () => {
  const { app, hub } = appFor();
  try {
    for (const path of ["/fleet/api/state", "/fleet/api/events", "/fleet/api/clusters/mgmt"]) {
      const none = await app.request(path);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="lattice"');
      assert.equal((await none.json()).kind, "Status");
      const bad = await app.request(path, auth("nope"));
      assert.equal(bad.status, 401);
      assert.match((await bad.json()).message, /not valid/);
    }
  } finally {
    hub.close();
  }
  const failing = appFor({ authenticate: () => Promise.reject(new Error("apiserver down")) });
  try {
    const res = await failing.app.request("/fleet/api/state", auth(GOOD_TOKEN));
    assert.equal(res.status, 503);
    await res.body?.cancel();
  } finally {
    failing.hub.close();
  }
});

Deno.test("the page and its assets carry a strict CSP and no data", async () => {
  const { app, hub } = appFor();
  try {
    const page = await app.request("/fleet/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await page.text();
    assert.match(html, /<ul id="tree" role="tree"/);
    assert.doesNotMatch(html, /workload/);
    assert.equal((await app.request("/fleet")).status, 301);
    const js = await app.request("/fleet/app.js");
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
    await js.body?.cancel();
  } finally {
    hub.close();
  }
});

Deno.test("a caller sees only what RBAC allows; hidden and absent look the same", async () => {
  const { app, hub } = appFor();
  try {
    const all = await (await app.request("/fleet/api/state", auth(GOOD_TOKEN)))
      .json() as FleetSnapshot;
    assert.deepEqual(all.clusters.map((c) => c.name), [
      "bootstrap",
      "mgmt",
      "leaf-00000",
      "leaf-00001",
      "workload",
    ]);
    assert.equal(all.hidden, 0);
    const narrow = await (await app.request("/fleet/api/state", auth(NARROW_TOKEN)))
      .json() as FleetSnapshot;
    assert.deepEqual(narrow.clusters.map((c) => c.name), ["mgmt", "workload"]);
    assert.equal(narrow.hidden, 3);
    const hidden = await app.request("/fleet/api/clusters/leaf-00000", auth(NARROW_TOKEN));
    const absent = await app.request("/fleet/api/clusters/nothing", auth(NARROW_TOKEN));
    assert.equal(hidden.status, 404);
    assert.equal(absent.status, 404);
    assert.equal(
      (await hidden.json()).message.replace("leaf-00000", "X"),
      (await absent.json()).message.replace("nothing", "X"),
    );
    const detail = await (await app.request("/fleet/api/clusters/mgmt", auth(GOOD_TOKEN))).json();
    assert.equal(detail.events[0].reason, "Ready");
  } finally {
    hub.close();
  }
});

Deno.test("the kubeconfig reaches a grandchild through the chain of proxies", async () => {
  const { app, hub, fleet } = appFor();
  try {
    assert.deepEqual(hopsTo(fleet.root, "workload"), ["mgmt", "workload"]);
    const res = await app.request("/fleet/api/clusters/workload/kubeconfig", auth(GOOD_TOKEN));
    assert.equal(res.status, 200);
    const config = parse(await res.text());
    assert.equal(
      config.clusters[0].cluster.server,
      "https://cell.example:8443/clusters/mgmt/clusters/workload",
    );
    assert.equal(config.users[0].user.token, GOOD_TOKEN);
    assert.ok(config.clusters[0].cluster["certificate-authority-data"]);
    const self = await app.request("/fleet/api/clusters/bootstrap/kubeconfig", auth(GOOD_TOKEN));
    assert.equal(self.status, 400);
    await self.body?.cancel();
  } finally {
    hub.close();
  }
});

Deno.test("events: a snapshot, then deltas filtered per caller; streams are bounded", async () => {
  const { app, hub, fleet } = appFor(stubAuthenticator, { maxConnections: 2, maxPerUser: 1 });
  try {
    const alice = await app.request("/fleet/api/events", auth(GOOD_TOKEN));
    assert.equal(alice.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const bob = await app.request("/fleet/api/events", auth(NARROW_TOKEN));
    const a = alice.body!.pipeThrough(new TextDecoderStream()).getReader();
    const b = bob.body!.pipeThrough(new TextDecoderStream()).getReader();
    const ab = { text: "" };
    const bb = { text: "" };
    assert.equal((await readEvent(a, ab)).data.clusters.length, 5);
    assert.equal((await readEvent(b, bb)).data.clusters.length, 2);
    // Both limits: alice's second stream (per user), anyone's third (in total).
    const again = await app.request("/fleet/api/events", auth(GOOD_TOKEN));
    assert.equal(again.status, 429);
    assert.match((await again.json()).message, /Too many/);
    assert.equal(hub.connections, 2);

    fleet.mgmt.setLocalChild("leaf-00001", {
      summary: entry("leaf-00001", "mgmt", { phase: "Failed" }),
      pivoted: true,
    });
    fleet.mgmt.setLocalChild("workload", {
      summary: entry("workload", "mgmt", { phase: "Deleting" }),
      pivoted: true,
    });
    fleet.link.flush();
    const da = await readEvent(a, ab);
    assert.equal(da.event, "delta");
    assert.deepEqual(da.data.upserts.map((r: { name: string }) => r.name).sort(), [
      "leaf-00001",
      "workload",
    ]);
    const db = await readEvent(b, bb);
    assert.deepEqual(db.data.upserts.map((r: { name: string; phase: string }) => r.phase), [
      "Deleting",
    ]);
    assert.deepEqual(db.data.removals, ["leaf-00001"], "not visible: sent as a removal");
    await a.cancel();
    await b.cancel();
    assert.equal(hub.connections, 0);
  } finally {
    hub.close();
  }
});

Deno.test("the live tree as text: glyphs, versions, heartbeat age, stale", () => {
  const now = 1_000_000;
  const text = renderLiveTree(
    [
      { ...row("root", ""), cell: true },
      {
        ...row("mgmt", "root"),
        cell: true,
        lastHeartbeat: now - 4_000,
        kubernetesVersion: "1.31.0",
      },
      { ...row("w", "mgmt"), phase: "Failed", stale: true, fluxVersion: "2.6.4" },
      { ...row("orphan", "gone"), connected: false },
    ],
    "root",
    now,
  );
  assert.equal(
    text,
    [
      "✔ root  Ready  cell",
      "├── ✔ mgmt  Ready  cell  k8s 1.31.0  heartbeat 4s ago",
      "│   └── ? w  Failed (stale)  leaf  flux 2.6.4  connected",
      "└── ✔ orphan  Ready  leaf  agent disconnected",
    ].join("\n"),
  );
});

function row(name: string, parent: string) {
  return {
    name,
    parent,
    phase: "Ready",
    provider: "",
    kubernetesVersion: "",
    fluxVersion: "",
    nodesReady: 0,
    nodesTotal: 0,
    connected: true,
    cell: false,
    stale: false,
    services: [],
    labels: {},
  };
}
