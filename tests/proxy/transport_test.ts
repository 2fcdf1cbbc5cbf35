import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  ClusterUnavailableError,
  InProcessTransport,
  ResponseAssembler,
} from "../../lib/proxy/mod.ts";
import type { KubernetesRequest } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { frame, ScriptedAgent } from "./_agent.ts";

const REQUEST: KubernetesRequest = {
  requestId: "",
  method: "GET",
  path: "/api/v1/pods?watch=true",
  headers: {},
  body: Buffer.alloc(0),
  watch: true,
  bodyFollows: false,
  upgrade: false,
};

Deno.test("ResponseAssembler: head on the first frame, chunks in order, end closes", async () => {
  let cancels = 0;
  const a = new ResponseAssembler({ onCancel: () => cancels++ });
  assert.equal(a.push(frame("1", { status: 201, headers: { "content-type": "x/y" } })), true);
  const response = await a.response;
  assert.equal(response.status, 201);
  assert.equal(response.headers["content-type"], "x/y");
  a.push(frame("1", { body: "ab" }));
  a.push(frame("1", { body: "cd", endOfStream: true }));
  assert.equal(a.done, true);
  assert.equal(a.push(frame("1", { body: "late" })), false);
  assert.equal(await new Response(response.body).text(), "abcd");
  assert.equal(cancels, 0);
});

Deno.test("ResponseAssembler: a reader that cancels sends one cancel", async () => {
  let cancels = 0;
  const a = new ResponseAssembler({ onCancel: () => cancels++ });
  a.push(frame("1", { status: 200 }));
  await (await a.response).body.cancel();
  a.abort();
  assert.equal(cancels, 1);
  assert.equal(a.push(frame("1", { body: "x" })), false);
});

Deno.test("ResponseAssembler: a consumer too slow overflows its own buffer and is cancelled", async () => {
  let cancels = 0;
  const a = new ResponseAssembler({ maxBufferedBytes: 10, onCancel: () => cancels++ });
  a.push(frame("1", { status: 200, body: "12345" }));
  assert.equal(a.push(frame("1", { body: "678901" })), false);
  assert.equal(cancels, 1);
  await assert.rejects(new Response((await a.response).body).text(), /too slowly/);
});

Deno.test("ResponseAssembler: failure before the head rejects the response", async () => {
  const a = new ResponseAssembler({ onCancel: () => {} });
  a.fail(new Error("stream lost"));
  await assert.rejects(a.response, /stream lost/);
});

Deno.test("InProcessTransport: states and unavailable clusters", async () => {
  const t = new InProcessTransport();
  t.set("up", new ScriptedAgent());
  t.set("down", null);
  assert.equal(t.state("up"), "connected");
  assert.equal(t.state("down"), "disconnected");
  assert.equal(t.state("nope"), "unknown");
  await assert.rejects(
    t.open("down", REQUEST),
    (e) => e instanceof ClusterUnavailableError && e.state === "disconnected",
  );
  await assert.rejects(
    t.open("nope", REQUEST),
    (e) => e instanceof ClusterUnavailableError && e.state === "unknown",
  );
});

Deno.test("InProcessTransport: an unread watch does not hold back other requests", async () => {
  const agent = new ScriptedAgent();
  const t = new InProcessTransport();
  t.set("c", agent);
  const watch = t.open("c", REQUEST);
  const watchId = agent.requests[0].requestId;
  const watchSend = agent.senders.get(watchId)!;
  watchSend(frame(watchId, { status: 200 }));
  for (let i = 0; i < 100; i++) watchSend(frame(watchId, { body: `{"event":${i}}\n` }));
  // Nobody reads the watch; a second request still completes.
  agent.answer = (req, send) =>
    send(frame(req.requestId, { status: 200, body: "ok", endOfStream: true }));
  const other = await t.open("c", { ...REQUEST, watch: false, path: "/api/v1/pods" });
  assert.equal(await new Response(other.body).text(), "ok");
  assert.notEqual(agent.requests[1].requestId, watchId);
  // The watch kept every event, and cancelling it reaches the agent.
  const reader = (await watch).body.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.equal(first, '{"event":0}\n');
  await reader.cancel();
  assert.deepEqual(agent.cancelled, [watchId]);
});

Deno.test("InProcessTransport: aborting the caller cancels on the agent", async () => {
  const agent = new ScriptedAgent();
  const t = new InProcessTransport();
  t.set("c", agent);
  const controller = new AbortController();
  const pending = t.open("c", REQUEST, { signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, /went away/);
  assert.deepEqual(agent.cancelled, [agent.requests[0].requestId]);
});
