import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  type Authenticator,
  type Authorizer,
  type Identity,
  InProcessTransport,
  nestedProxy,
  proxyApp,
} from "../../lib/proxy/mod.ts";
import { echo, frame, ScriptedAgent } from "./_agent.ts";

const ALICE: Identity = { user: "alice", groups: ["devs", "system:authenticated"] };

function setup() {
  const agent = new ScriptedAgent();
  agent.answer = echo;
  const transport = new InProcessTransport();
  transport.set("child", agent);
  transport.set("gone", null);
  const asked: [string, string][] = [];
  const authenticator: Authenticator = {
    authenticate: (token) => Promise.resolve(token === "good" ? ALICE : undefined),
  };
  const authorizer: Authorizer = {
    authorize(identity, cluster) {
      asked.push([identity.user, cluster]);
      return Promise.resolve({ allowed: cluster !== "secret", reason: "no binding" });
    },
  };
  const app = proxyApp({ transport, authenticator, authorizer, maxBodyBytes: 100 });
  const call = (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token !== undefined) headers.set("authorization", `Bearer ${init.token}`);
    return app.request(`https://cell${path}`, { ...init, headers });
  };
  return { agent, transport, app, call, asked, authorizer };
}

async function status(res: Response) {
  const body = await res.json();
  assert.equal(body.kind, "Status");
  return { code: res.status, reason: body.reason as string, message: body.message as string };
}

Deno.test("refuses callers without a valid bearer token (401 Status)", async () => {
  const { call, agent } = setup();
  let res = await call("/clusters/child/api");
  assert.deepEqual((await status(res)).code, 401);
  assert.match(res.headers.get("www-authenticate") ?? "", /Bearer/);
  res = await call("/clusters/child/api", { token: "bad" });
  assert.equal((await status(res)).reason, "Unauthorized");
  assert.equal(agent.requests.length, 0);
});

Deno.test("authorizes every request for the first hop (403 Status)", async () => {
  const { call, asked, agent } = setup();
  const res = await call("/clusters/secret/api", { token: "good" });
  const s = await status(res);
  assert.equal(s.code, 403);
  assert.match(s.message, /alice.*latticeclusters "secret": no binding/);
  assert.deepEqual(asked, [["alice", "secret"]]);
  assert.equal(agent.requests.length, 0);
});

Deno.test("unknown cluster 404, disconnected 503, bad names 400", async () => {
  const { call } = setup();
  assert.equal((await status(await call("/clusters/nope/api", { token: "good" }))).code, 404);
  const gone = await call("/clusters/gone/api", { token: "good" });
  assert.equal(gone.headers.get("retry-after"), "5");
  assert.equal((await status(gone)).reason, "ServiceUnavailable");
  assert.equal((await status(await call("/clusters/Bad/api", { token: "good" }))).code, 400);
  assert.equal((await status(await call("/clusters/child/logs/x", { token: "good" }))).code, 404);
});

Deno.test("forwards method, path, query, body and allowed headers; strips the rest", async () => {
  const { call } = setup();
  const res = await call("/clusters/child/api/v1/namespaces/x/configmaps?labelSelector=a%3Db", {
    method: "POST",
    token: "good",
    body: '{"a":1}',
    headers: {
      "content-type": "application/json",
      accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
      "impersonate-user": "system:admin",
      "impersonate-group": "system:masters",
      "impersonate-extra-scopes": "all",
      "x-other": "1",
    },
  });
  assert.equal(res.status, 200);
  const seen = await res.json();
  assert.equal(seen.method, "POST");
  assert.equal(seen.path, "/api/v1/namespaces/x/configmaps?labelSelector=a%3Db");
  assert.equal(seen.body, '{"a":1}');
  assert.equal(seen.watch, false);
  assert.deepEqual(seen.headers, {
    accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
    "content-type": "application/json",
    "impersonate-user": "alice",
    "impersonate-group": "devs, system:authenticated",
  });
});

Deno.test("status codes, content types and streamed bodies come back unchanged", async () => {
  const { call, agent } = setup();
  agent.answer = (req, send) => {
    send(frame(req.requestId, {
      status: 200,
      headers: { "content-type": "application/vnd.kubernetes.protobuf;stream=watch" },
    }));
    send(frame(req.requestId, { body: "e1" }));
    send(frame(req.requestId, { body: "e2", endOfStream: true }));
  };
  const res = await call("/clusters/child/api/v1/pods?watch=true", { token: "good" });
  assert.equal(res.headers.get("content-type"), "application/vnd.kubernetes.protobuf;stream=watch");
  assert.equal(await res.text(), "e1e2");
  assert.equal(agent.requests[0].watch, true);
  agent.answer = (req, send) =>
    send(frame(req.requestId, { status: 422, body: '{"kind":"Status"}', endOfStream: true }));
  const invalid = await call("/clusters/child/api/v1/pods", { token: "good" });
  assert.equal(invalid.status, 422);
  assert.equal(await invalid.text(), '{"kind":"Status"}');
});

Deno.test("a body over the limit is refused with 413", async () => {
  const { call, agent } = setup();
  const res = await call("/clusters/child/api/v1/pods", {
    method: "POST",
    token: "good",
    body: "x".repeat(101),
  });
  assert.equal((await status(res)).code, 413);
  assert.equal(agent.requests.length, 0);
  // A body of unknown length streams: the child saw the request start and then its cancel.
  assert.deepEqual(agent.cancelled, agent.started.map((r) => r.requestId));
});

Deno.test("a declared length over the limit is refused before the child hears of it", async () => {
  const { call, agent } = setup();
  const res = await call("/clusters/child/api/v1/pods", {
    method: "POST",
    token: "good",
    body: "x".repeat(101),
    headers: { "content-length": "101" },
  });
  assert.equal((await status(res)).code, 413);
  assert.equal(agent.started.length, 0);
});

Deno.test("a chunked body streams to the child in bounded chunks, byte-exact", async () => {
  const { agent, transport } = setup();
  const big = proxyApp({
    transport,
    authenticator: { authenticate: () => Promise.resolve(ALICE) },
    authorizer: { authorize: () => Promise.resolve({ allowed: true }) },
    maxBodyBytes: 1 << 20,
  });
  const payload = new Uint8Array(300_000).map((_, i) => i % 251);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < payload.length; at += 100_000) {
        controller.enqueue(payload.slice(at, at + 100_000));
      }
      controller.close();
    },
  });
  const res = await big.request("https://cell/clusters/child/api/v1/pods", {
    method: "POST",
    headers: { authorization: "Bearer any" },
    body,
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.equal(agent.requests.length, 1);
  assert.equal(agent.requests[0].bodyFollows, true);
  assert.deepEqual(new Uint8Array(agent.requests[0].body), payload);
  assert.ok(Math.max(...agent.chunks) <= 64 << 10, `chunks ${agent.chunks}`);
});

Deno.test("nestedProxy re-authorizes the next hop with the prefixed identity", async () => {
  const { transport, asked, authorizer, agent } = setup();
  const next = nestedProxy({ transport, authorizer });
  const identity = { user: "lattice:root:alice", groups: ["lattice:root:devs"] };
  const request = {
    requestId: "r1",
    method: "GET",
    path: "/clusters/child/api/v1/pods?limit=1",
    headers: { "impersonate-user": "alice", accept: "application/json" },
    body: Buffer.alloc(0),
    watch: false,
    bodyFollows: false,
    upgrade: false,
  };
  const res = await next(identity, request, new AbortController().signal);
  const seen = await res.json();
  assert.equal(seen.path, "/api/v1/pods?limit=1");
  assert.equal(seen.headers["impersonate-user"], "lattice:root:alice");
  assert.equal(seen.headers["impersonate-group"], "lattice:root:devs");
  assert.deepEqual(asked, [["lattice:root:alice", "child"]]);
  const denied = await next(
    identity,
    { ...request, path: "/clusters/secret/api" },
    new AbortController().signal,
  );
  assert.equal(denied.status, 403);
  assert.equal((await denied.json()).kind, "Status");
  assert.equal(agent.requests.length, 1);
});

Deno.test("a failing review answers 503, not a crash", async () => {
  const transport = new InProcessTransport();
  const failing = () => Promise.reject(new Error("apiserver down"));
  const app = proxyApp({
    transport,
    authenticator: { authenticate: failing },
    authorizer: { authorize: failing },
  });
  const res = await app.request("https://cell/clusters/child/api", {
    headers: { authorization: "Bearer t" },
  });
  assert.equal(res.status, 503);
  assert.equal((await res.json()).kind, "Status");
  const app2 = proxyApp({
    transport,
    authenticator: { authenticate: () => Promise.resolve(ALICE) },
    authorizer: { authorize: failing },
  });
  const res2 = await app2.request("https://cell/clusters/child/api", {
    headers: { authorization: "Bearer t" },
  });
  assert.equal(res2.status, 503);
  assert.match((await res2.json()).message, /Cannot authorize/);
});

Deno.test("rate-limits each user once authenticated (429 with Retry-After)", async () => {
  const agent = new ScriptedAgent();
  agent.answer = echo;
  const transport = new InProcessTransport();
  transport.set("child", agent);
  const app = proxyApp({
    transport,
    authenticator: { authenticate: () => Promise.resolve(ALICE) },
    authorizer: { authorize: () => Promise.resolve({ allowed: true }) },
    rateLimit: false,
    userRateLimit: { burst: 2, perMinute: 60 },
  });
  // Different client addresses, one user: one budget.
  const call = (ip: string) =>
    app.request("https://cell/clusters/child/api", {
      headers: { authorization: "Bearer t" },
    }, { remoteAddr: { hostname: ip } });
  assert.equal((await call("10.0.0.1")).status, 200);
  assert.equal((await call("10.0.0.2")).status, 200);
  const refused = await call("10.0.0.3");
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  const body = await refused.json();
  assert.match(body.message, /too many requests from user "alice"/);
});
