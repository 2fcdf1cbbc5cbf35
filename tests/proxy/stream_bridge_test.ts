import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { AgentRegistry, type AgentStream } from "../../lib/cell/registry.ts";
import type { CellCommand, KubernetesRequest } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { ClusterUnavailableError, StreamTransport } from "../../lib/proxy/mod.ts";
import { frame } from "./_agent.ts";

const REQUEST: KubernetesRequest = {
  requestId: "",
  method: "GET",
  path: "/api/v1/pods",
  headers: {},
  body: Buffer.alloc(0),
  watch: false,
  bodyFollows: false,
  upgrade: false,
};

function setup() {
  const registry = new AgentRegistry();
  const written: CellCommand[] = [];
  const stream: AgentStream = { write: (c) => written.push(c), close: () => {} };
  const session = registry.attach("child", stream);
  let n = 0;
  const transport = new StreamTransport(registry, {
    newRequestId: () => `r${++n}`,
    isKnown: (name) => name === "known",
  });
  const respond = (f: ReturnType<typeof frame>, cluster = session) =>
    registry.receive(cluster, {
      clusterName: cluster.clusterName,
      payload: { $case: "k8sResponse", value: f },
    });
  const done = () => {
    transport.close();
    registry.close();
  };
  return { registry, written, session, transport, respond, done };
}

Deno.test("StreamTransport: requests are multiplexed by id and answered out of order", async () => {
  const { written, transport, respond, done } = setup();
  try {
    const a = transport.open("child", REQUEST);
    const b = transport.open("child", REQUEST);
    assert.deepEqual(written.map((c) => c.command?.$case), ["k8sRequest", "k8sRequest"]);
    respond(frame("r2", { status: 200, body: "B", endOfStream: true }));
    respond(frame("r1", { status: 404, body: "A" }));
    respond(frame("r1", { body: "A", endOfStream: true }));
    const rb = await b;
    assert.equal(await new Response(rb.body).text(), "B");
    const ra = await a;
    assert.equal(ra.status, 404);
    assert.equal(await new Response(ra.body).text(), "AA");
    assert.equal(transport.inFlight, 0);
  } finally {
    done();
  }
});

Deno.test("StreamTransport: a cancelled body sends KubernetesCancel", async () => {
  const { written, transport, respond, done } = setup();
  try {
    const pending = transport.open("child", { ...REQUEST, watch: true });
    respond(frame("r1", { status: 200 }));
    await (await pending).body.cancel();
    const last = written.at(-1)!.command!;
    assert.equal(last.$case, "k8sCancel");
    assert.equal(last.$case === "k8sCancel" && last.value.requestId, "r1");
    assert.equal(transport.inFlight, 0);
  } finally {
    done();
  }
});

Deno.test("StreamTransport: frames from another cluster's stream are ignored", async () => {
  const { registry, transport, respond, done } = setup();
  try {
    const other = registry.attach("other", { write: () => {}, close: () => {} });
    const pending = transport.open("child", REQUEST);
    respond(frame("r1", { status: 200, body: "forged", endOfStream: true }), other);
    respond(frame("r1", { status: 200, body: "real", endOfStream: true }));
    assert.equal(await new Response((await pending).body).text(), "real");
  } finally {
    done();
  }
});

Deno.test("StreamTransport: a lost stream fails its requests; states follow the registry", async () => {
  const { registry, session, transport, respond, done } = setup();
  try {
    const before = transport.open("child", REQUEST);
    const during = transport.open("child", { ...REQUEST, watch: true });
    respond(frame("r2", { status: 200, body: "x" }));
    const body = (await during).body;
    registry.detach(session, "test");
    await assert.rejects(before, ClusterUnavailableError);
    await assert.rejects(new Response(body).text(), /stream lost/);
    assert.equal(transport.state("child"), "disconnected");
    assert.equal(transport.state("known"), "disconnected");
    assert.equal(transport.state("nope"), "unknown");
    await assert.rejects(
      transport.open("nope", REQUEST),
      (e) => e instanceof ClusterUnavailableError && e.state === "unknown",
    );
    await assert.rejects(
      transport.open("child", REQUEST),
      (e) => e instanceof ClusterUnavailableError && e.state === "disconnected",
    );
  } finally {
    done();
  }
});

Deno.test("StreamTransport: a replacing stream fails the old stream's requests only", async () => {
  let now = 1_000;
  const registry = new AgentRegistry({ now: () => now });
  const written: CellCommand[] = [];
  const stream: AgentStream = { write: (c) => written.push(c), close: () => {} };
  registry.attach("child", stream);
  let n = 0;
  const transport = new StreamTransport(registry, { newRequestId: () => `r${++n}` });
  try {
    const old = transport.open("child", REQUEST);
    now += 5;
    const session = registry.attach("child", stream);
    await assert.rejects(old, /stream lost/);
    const fresh = transport.open("child", REQUEST);
    // AgentReady on the new stream re-announces it; its requests live on.
    registry.receive(session, {
      clusterName: "child",
      payload: { $case: "ready", value: { agentVersion: "x", kubernetesVersion: "y" } },
    });
    registry.receive(session, {
      clusterName: "child",
      payload: { $case: "k8sResponse", value: frame("r2", { status: 200, endOfStream: true }) },
    });
    assert.equal((await fresh).status, 200);
  } finally {
    transport.close();
    registry.close();
  }
});

Deno.test("StreamTransport: a streamed body waits for the stream to drain, chunk by chunk", async () => {
  const registry = new AgentRegistry();
  const written: CellCommand[] = [];
  let drain = () => {};
  const stream: AgentStream = {
    write: (c) => written.push(c),
    close: () => {},
    // Never ready until the test says so.
    ready: () => new Promise((resolve) => drain = resolve),
  };
  const session = registry.attach("child", stream);
  const transport = new StreamTransport(registry, { newRequestId: () => "r1" });
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      if (pulled > 3) controller.close();
      else controller.enqueue(new Uint8Array(100 << 10).fill(pulled));
    },
  }, { highWaterMark: 0 });
  try {
    const opened = transport.open("child", REQUEST, { body });
    const sent = () => written.filter((c) => c.command?.$case === "k8sRequestBody").length;
    await new Promise((r) => setTimeout(r, 20));
    const first = written[0].command;
    assert.equal(first?.$case === "k8sRequest" && first.value.bodyFollows, true);
    // One 100 KiB chunk read, split in 64 KiB pieces: the first piece waits for drain.
    assert.equal(sent(), 1);
    assert.equal(pulled, 1);
    for (let i = 0; i < 20 && transport.bodiesInFlight > 0; i++) {
      drain();
      await new Promise((r) => setTimeout(r, 5));
    }
    const chunks = written.flatMap((c) =>
      c.command?.$case === "k8sRequestBody" ? [c.command.value] : []
    );
    assert.equal(chunks.reduce((n, c) => n + c.data.length, 0), 300 << 10);
    assert.ok(chunks.every((c) => c.data.length <= 64 << 10));
    assert.equal(chunks.at(-1)?.endOfBody, true);
    registry.receive(session, {
      clusterName: "child",
      payload: { $case: "k8sResponse", value: frame("r1", { status: 201, endOfStream: true }) },
    });
    assert.equal((await opened).status, 201);
  } finally {
    transport.close();
    registry.close();
  }
});

Deno.test("StreamTransport: a client leaving mid-body stops the body and cancels", async () => {
  const { written, transport, done } = setup();
  const controller = new AbortController();
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new Uint8Array(10));
    },
    cancel() {
      cancelled = true;
    },
  });
  try {
    const opened = transport.open("child", REQUEST, { body, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(transport.bodiesInFlight, 1);
    controller.abort();
    await assert.rejects(opened);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(transport.bodiesInFlight, 0);
    assert.equal(transport.inFlight, 0);
    assert.equal(cancelled, true);
    assert.equal(written.at(-1)?.command?.$case, "k8sCancel");
  } finally {
    done();
  }
});

Deno.test("StreamTransport: a body error (413) cancels the request and rejects the open", async () => {
  const { written, transport, done } = setup();
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      c.error(new ClusterUnavailableError("stand-in for a 413", "disconnected"));
    },
  });
  try {
    await assert.rejects(transport.open("child", REQUEST, { body }), /stand-in/);
    assert.equal(written.at(-1)?.command?.$case, "k8sCancel");
    assert.equal(transport.inFlight, 0);
  } finally {
    done();
  }
});
