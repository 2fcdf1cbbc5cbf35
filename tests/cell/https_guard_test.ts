/**
 * The cell's HTTPS front under attack, on real sockets (loopback only, bounded counts):
 * half-open TLS handshakes, idle and slowloris connections, too many connections from one
 * address, and a Host header carrying a path. Each of these was held or mis-routed by the
 * bare Deno.serve the cell used before.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { Hono } from "hono";
import { type ConnectionLimits, serveHttps } from "../../lib/cell/mod.ts";
import { createCa, issueServerCert } from "../../lib/pki/mod.ts";
import { until } from "../_until.ts";

const ca = await createCa({ commonName: "guard-test-ca" });
const serving = await issueServerCert(ca, { dnsNames: ["localhost"] });

function start(limits: ConnectionLimits = {}) {
  const seen: { path: string; client: string }[] = [];
  const app = new Hono<{ Bindings: { remoteAddr?: { hostname?: string } } }>();
  app.all("*", (c) => {
    seen.push({ path: c.req.path, client: c.env?.remoteAddr?.hostname ?? "" });
    if (c.req.path === "/refuse") return c.text("no", 403);
    if (c.req.path === "/slow") {
      // A long answer (like a watch): sends a line now and another later.
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode("first\n"));
          await new Promise((r) => setTimeout(r, 1_500));
          controller.enqueue(new TextEncoder().encode("second\n"));
          controller.close();
        },
      });
      return new Response(body);
    }
    return c.text(`path ${c.req.path}`);
  });
  const server = serveHttps(app, {
    hostname: "127.0.0.1",
    port: 0,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    limits,
  });
  return { server, seen, port: server.addr.port };
}

/** A TCP connection from `localAddress` that never starts TLS (a half-open handshake). */
function rawSocket(port: number, localAddress = "127.0.0.1"): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress }, () => resolve(socket));
    // Flowing, so a close by the server is noticed.
    socket.resume();
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

async function tlsConn(port: number) {
  return await Deno.connectTls({ hostname: "localhost", port, caCerts: [ca.certPem] });
}

async function rawRequest(port: number, head: string): Promise<string> {
  const conn = await tlsConn(port);
  try {
    await conn.write(new TextEncoder().encode(head));
    let text = "";
    const buf = new Uint8Array(8192);
    while (!text.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test("guard: serves requests and hands handlers the real client address", async () => {
  const { server, seen, port } = start();
  const client = Deno.createHttpClient({ caCerts: [ca.certPem] });
  try {
    const res = await fetch(`https://localhost:${port}/hello`, { client });
    assert.equal(await res.text(), "path /hello");
    assert.deepEqual(seen, [{ path: "/hello", client: "127.0.0.1" }]);
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("guard: a Host carrying a path is refused, routing follows the target", async () => {
  const { server, seen, port } = start();
  try {
    const head = "GET /api/clusters/east/register HTTP/1.1\r\n" +
      "Host: localhost/clusters/child/api/v1/secrets?x=\r\nConnection: close\r\n\r\n";
    const answer = await rawRequest(port, head);
    assert.match(answer, /^HTTP\/1\.1 400/);
    for (const host of ["a b", "localhost:99999x", "user@localhost", "localhost#frag"]) {
      const reply = await rawRequest(
        port,
        `GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      assert.match(reply, /^HTTP\/1\.1 400/, host);
    }
    assert.equal(seen.length, 0, "no handler saw a request with a bad Host");
    const ok = await rawRequest(
      port,
      "GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.match(ok, /^HTTP\/1\.1 200/);
    assert.deepEqual(seen.map((s) => s.path), ["/x"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("guard: half-open handshakes are capped per client and time out", async () => {
  const { server, port } = start({ maxConnectionsPerClient: 20, handshakeTimeoutMs: 1_000 });
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < 300; i++) sockets.push(await rawSocket(port, "127.0.0.7"));
    await until("the server to settle", () => {
      const { open, refused, timedOut } = server.stats();
      return Promise.resolve(open + refused + timedOut.handshake >= 300 ? true : undefined);
    }, 20_000);
    assert.ok(server.stats().open <= 20, `open ${server.stats().open}`);
    // Another address is still served while the first one is capped.
    const other = await rawSocket(port, "127.0.0.8");
    sockets.push(other);
    await until("the other address to be let in", () => {
      return Promise.resolve(server.stats().open === 21 ? true : undefined);
    }, 20_000);
    await until("every half-open connection to be closed", () => {
      return Promise.resolve(server.stats().open === 0 ? true : undefined);
    }, 20_000);
    assert.ok(server.stats().timedOut.handshake >= 20);
    // Closed for real on the client's side too (refused and timed-out alike): a TLS socket
    // closed before its handshake used to keep its file descriptor until the peer left.
    await until("every socket to be closed by the server", () => {
      return Promise.resolve(sockets.every((s) => s.destroyed) ? true : undefined);
    }, 20_000);
  } finally {
    for (const s of sockets) s.destroy();
    await server.shutdown();
  }
});

Deno.test("guard: new connections per client are rate-limited before the handshake", async () => {
  const { server, port } = start({
    connectionRate: { burst: 10, perMinute: 60 },
    handshakeTimeoutMs: 60_000,
  });
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < 40; i++) sockets.push(await rawSocket(port, "127.0.0.9"));
    await until("the server to settle", () => {
      const { open, refused } = server.stats();
      return Promise.resolve(open + refused >= 40 ? true : undefined);
    }, 20_000);
    assert.ok(server.stats().open <= 12, `open ${server.stats().open}`);
    assert.ok(server.stats().refused >= 28);
  } finally {
    for (const s of sockets) s.destroy();
    await server.shutdown();
  }
});

Deno.test("guard: a refused HTTP/1.1 body is not drained: its connection closes", async () => {
  const { server, port } = start();
  const conn = await tlsConn(port);
  try {
    const encoder = new TextEncoder();
    await conn.write(
      encoder.encode(
        "POST /refuse HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "4\r\nabcd\r\n",
      ),
    );
    // The answer comes, then the end of the connection — not a wait for the rest of the body.
    let text = "";
    const buf = new Uint8Array(4096);
    const deadline = Date.now() + 10_000;
    let closed = false;
    while (Date.now() < deadline) {
      const n = await Promise.race([
        conn.read(buf).catch(() => null),
        new Promise<"wait">((r) => setTimeout(() => r("wait"), 10_000)),
      ]);
      if (n === "wait") break;
      if (n === null) {
        closed = true;
        break;
      }
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    assert.match(text, /^HTTP\/1\.1 403/);
    assert.ok(closed, "the connection was kept open to drain the refused body");
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("guard: the total connection cap holds across addresses", async () => {
  const { server, port } = start({ maxConnections: 30, handshakeTimeoutMs: 60_000 });
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < 60; i++) sockets.push(await rawSocket(port, `127.0.1.${i + 1}`));
    await until("the server to settle", () => {
      const { open, refused } = server.stats();
      return Promise.resolve(open + refused >= 60 ? true : undefined);
    }, 20_000);
    assert.equal(server.stats().open, 30);
    assert.equal(server.stats().refused, 30);
  } finally {
    for (const s of sockets) s.destroy();
    await server.shutdown();
  }
});

Deno.test("guard: idle and slowloris connections are closed; a long answer is not", async () => {
  const { server, port } = start({ idleTimeoutMs: 800, headerTimeoutMs: 800 });
  try {
    const idle = await tlsConn(port);
    await idle.handshake();
    const slow = await tlsConn(port);
    await slow.write(new TextEncoder().encode("GET /x HTTP/1.1\r\nHost: local"));
    const buf = new Uint8Array(1024);
    // Both are closed by the server: read ends (null) or fails (reset).
    assert.equal(await idle.read(buf).catch(() => null), null);
    assert.equal(await slow.read(buf).catch(() => null), null);
    idle.close();
    slow.close();
    assert.ok(server.stats().timedOut.idle >= 1);
    assert.ok(server.stats().timedOut.header >= 1);
    // A response that takes longer than the idle timeout is a request in progress.
    const answer = await rawRequest(
      port,
      "GET /slow HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.match(answer, /^HTTP\/1\.1 200/);
    const client = Deno.createHttpClient({ caCerts: [ca.certPem] });
    const res = await fetch(`https://localhost:${port}/slow`, { client });
    assert.equal(await res.text(), "first\nsecond\n");
    client.close();
  } finally {
    await server.shutdown();
  }
});
