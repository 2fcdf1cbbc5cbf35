/**
 * The executor's refusals and its relaying of nested answers: all decided before the child's
 * apiserver is contacted, so the client points at a port nothing listens on. Execution on a
 * real apiserver is tested in tests/integration/proxy_test.ts.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { KubeClient } from "../../lib/kube/mod.ts";
import type {
  KubernetesRequest,
  KubernetesResponse,
} from "../../lib/proto/lattice/agent/v1/agent.ts";
import { type Identity, ProxyExecutor, type ProxyExecutorOptions } from "../../lib/proxy/mod.ts";

const UNREACHABLE = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://localhost:1" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`;

function request(fields: Partial<KubernetesRequest> = {}): KubernetesRequest {
  return {
    requestId: "r1",
    method: "GET",
    path: "/api/v1/pods",
    headers: { "impersonate-user": "alice", "impersonate-group": "devs" },
    body: Buffer.alloc(0),
    watch: false,
    bodyFollows: false,
    upgrade: false,
    ...fields,
  };
}

/** Runs one request and collects its frames until end of stream. */
async function run(
  req: KubernetesRequest,
  options: ProxyExecutorOptions = {},
): Promise<KubernetesResponse[]> {
  using client = KubeClient.fromKubeconfig(UNREACHABLE);
  const executor = new ProxyExecutor(client, "root", options);
  const frames: KubernetesResponse[] = [];
  await new Promise<void>((resolve) => {
    executor.execute(req, (frame) => {
      frames.push(frame);
      if (frame.endOfStream) resolve();
    });
  });
  return frames;
}

function statusOf(frames: KubernetesResponse[]) {
  assert.equal(frames.length, 1);
  const body = JSON.parse(frames[0].body.toString());
  assert.equal(body.kind, "Status");
  return { code: frames[0].status, message: body.message as string };
}

Deno.test("refuses a request that asserts no user (never acts as the agent)", async () => {
  const s = statusOf(await run(request({ headers: {} })));
  assert.equal(s.code, 403);
  assert.match(s.message, /impersonate-user/);
});

Deno.test("refuses bad paths and methods again on the agent", async () => {
  assert.equal(statusOf(await run(request({ path: "/api/%2e%2e/metrics" }))).code, 400);
  assert.equal(statusOf(await run(request({ path: "/metrics" }))).code, 404);
  assert.equal(statusOf(await run(request({ method: "CONNECT" }))).code, 400);
});

Deno.test("a nested path on a child that is not a cell answers 404", async () => {
  const s = statusOf(await run(request({ path: "/clusters/b/api" })));
  assert.equal(s.code, 404);
});

Deno.test("nested paths go to the cell's own proxy with the prefixed identity", async () => {
  let seen: Identity | undefined;
  const frames = await run(request({ path: "/clusters/b/api/v1/pods" }), {
    chunkBytes: 4,
    nested: (identity) => {
      seen = identity;
      return Promise.resolve(
        new Response("0123456789", {
          status: 207,
          headers: { "content-type": "text/x", connection: "keep-alive" },
        }),
      );
    },
  });
  assert.deepEqual(seen, { user: "lattice:root:alice", groups: ["lattice:root:devs"] });
  assert.equal(frames[0].status, 207);
  assert.equal(frames[0].headers["content-type"], "text/x");
  assert.equal(frames[0].headers.connection, undefined);
  assert.equal(frames[0].body.length, 0);
  const chunks = frames.slice(1, -1).map((f) => f.body.toString());
  assert.deepEqual(chunks, ["0123", "4567", "89"]);
  assert.equal(frames.at(-1)!.endOfStream, true);
});

Deno.test("an unreachable child answers 502 as a Status", async () => {
  const s = statusOf(await run(request()));
  assert.equal(s.code, 502);
});

Deno.test("cancel aborts a running request and ends its stream", async () => {
  using client = KubeClient.fromKubeconfig(UNREACHABLE);
  let aborted = false;
  const executor = new ProxyExecutor(client, "root", {
    nested: (_identity, _request, signal) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("event\n"));
          signal.addEventListener("abort", () => {
            aborted = true;
            controller.close();
          });
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    },
  });
  const frames: KubernetesResponse[] = [];
  const ended = new Promise<void>((resolve) => {
    executor.execute(request({ path: "/clusters/b/api?watch=1" }), (frame) => {
      frames.push(frame);
      if (frame.body.toString() === "event\n") executor.cancel("r1");
      if (frame.endOfStream) resolve();
    });
  });
  await ended;
  assert.equal(aborted, true);
  assert.equal(executor.inFlight, 0);
  assert.equal(frames.at(-1)!.endOfStream, true);
});

function bodyChunk(data: string, endOfBody = false) {
  return { requestId: "r1", data: Buffer.from(data), endOfBody };
}

Deno.test("a streamed body reaches the apiserver side chunk by chunk", async () => {
  using client = KubeClient.fromKubeconfig(UNREACHABLE);
  const executor = new ProxyExecutor(client, "root", {
    // The nested hop stands in for the apiserver: it answers with the body it read.
    nested: async (_identity, _request, _signal, body) =>
      new Response(await new Response(body).text(), { status: 201 }),
  });
  const frames: KubernetesResponse[] = [];
  const ended = new Promise<void>((resolve) => {
    executor.execute(
      request({ method: "POST", path: "/clusters/b/api/v1/x", bodyFollows: true }),
      (frame) => {
        frames.push(frame);
        if (frame.endOfStream) resolve();
      },
    );
  });
  assert.equal(executor.bodiesInFlight, 1);
  executor.body(bodyChunk("abc"));
  executor.body(bodyChunk("def"));
  executor.body(bodyChunk("", true));
  await ended;
  assert.equal(frames[0].status, 201);
  assert.equal(frames.map((f) => f.body.toString()).join(""), "abcdef");
  assert.equal(executor.bodiesInFlight, 0);
  assert.equal(executor.inFlight, 0);
  // Chunks for a request that ended are dropped.
  executor.body(bodyChunk("late"));
  assert.equal(executor.bodiesInFlight, 0);
});

Deno.test("a streamed body the apiserver does not read fails at its window (503)", async () => {
  using client = KubeClient.fromKubeconfig(UNREACHABLE);
  const executor = new ProxyExecutor(client, "root", {
    bodyWindowBytes: 8,
    nested: (_identity, _request, signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason))
      ),
  });
  const frames: KubernetesResponse[] = [];
  const ended = new Promise<void>((resolve) => {
    executor.execute(request({ path: "/clusters/b/api", bodyFollows: true }), (frame) => {
      frames.push(frame);
      if (frame.endOfStream) resolve();
    });
  });
  executor.body(bodyChunk("12345"));
  executor.body(bodyChunk("67890"));
  await ended;
  assert.equal(statusOf(frames).code, 503);
  assert.equal(executor.bodiesInFlight, 0);
  assert.equal(executor.inFlight, 0);
});

Deno.test("cancel frees a streamed body at once", async () => {
  using client = KubeClient.fromKubeconfig(UNREACHABLE);
  let bodyError: unknown;
  const executor = new ProxyExecutor(client, "root", {
    nested: async (_identity, _request, _signal, body) => {
      try {
        await new Response(body).arrayBuffer();
      } catch (error) {
        bodyError = error;
      }
      throw new Error("gone");
    },
  });
  const ended = new Promise<void>((resolve) => {
    executor.execute(request({ path: "/clusters/b/api", bodyFollows: true }), (frame) => {
      if (frame.endOfStream) resolve();
    });
  });
  executor.body(bodyChunk("partial"));
  executor.cancel("r1");
  assert.equal(executor.bodiesInFlight, 0);
  await ended;
  assert.ok(bodyError instanceof Error);
  assert.equal(executor.inFlight, 0);
});
