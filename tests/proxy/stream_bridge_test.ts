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
