/**
 * The whole class of request-shape abuse against the cell's real HTTPS front (loopback,
 * bounded counts): request targets that try to leave their segment (`%2e%2e`, double
 * slashes, dot segments, double encoding, backslashes) never reach a child; oversized and
 * too many headers are refused before any handler runs; a client refused for its rate is
 * held in the tarpit instead of spinning the accept loop; heavy uploads are paced while a
 * light client is not held behind them.
 */
import assert from "node:assert/strict";
import { serveHttps } from "../../lib/cell/mod.ts";
import { UploadPacer } from "../../lib/cell/guard_upload.ts";
import { type Identity, InProcessTransport, proxyApp } from "../../lib/proxy/mod.ts";
import { createCa, issueServerCert } from "../../lib/pki/mod.ts";
import { echo, ScriptedAgent } from "../proxy/_agent.ts";

const ca = await createCa({ commonName: "guard-abuse-ca" });
const serving = await issueServerCert(ca, { dnsNames: ["localhost"] });
const ALICE: Identity = { user: "alice", groups: ["devs"] };

function startProxy(limits = {}) {
  const agent = new ScriptedAgent();
  agent.answer = echo;
  const transport = new InProcessTransport();
  transport.set("child", agent);
  let handled = 0;
  const app = proxyApp({
    transport,
    authenticator: { authenticate: (t) => Promise.resolve(t === "good" ? ALICE : undefined) },
    authorizer: { authorize: () => Promise.resolve({ allowed: true }) },
  });
  const server = serveHttps({
    fetch: (request, info) => {
      handled++;
      return app.fetch(request, info);
    },
  }, {
    hostname: "127.0.0.1",
    port: 0,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    limits,
  });
  return { server, agent, port: server.addr.port, handled: () => handled };
}

/** Sends `head` raw over TLS; the status code of the answer (0 when closed without one). */
async function rawStatus(port: number, head: string): Promise<number> {
  const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [ca.certPem] });
  try {
    await conn.write(new TextEncoder().encode(head)).catch(() => 0);
    let text = "";
    const buf = new Uint8Array(8192);
    while (!text.includes("\r\n")) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(text.split(" ")[1] ?? 0) || 0;
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** "closed" when the server closes `conn` within `ms`, else "open". */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<"closed" | "open"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const read = conn.read(new Uint8Array(16)).then(() => "closed" as const, () => "closed" as const);
  const result = await Promise.race([
    read,
    new Promise<"open">((r) => timer = setTimeout(() => r("open"), ms)),
  ]);
  clearTimeout(timer);
  if (result === "open") {
    conn.close();
    await read;
  }
  return result;
}

const get = (target: string, extra = "") =>
  `GET ${target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer good\r\n${extra}` +
  "Connection: close\r\n\r\n";

Deno.test("guard: request targets that leave their segment never reach a child", async () => {
  const { server, agent, port } = startProxy();
  try {
    // The canonical form reaches the child once (the control).
    assert.equal(await rawStatus(port, get("/clusters/child/api/v1/namespaces")), 200);
    assert.equal(agent.requests.length, 1);
    const attacks = [
      "/clusters/child/api/v1/namespaces/default/configmaps/..%2f..%2fsecrets",
      "/clusters/child/api/v1/namespaces/%2e%2e/secrets",
      "/clusters/child/api/v1/namespaces/%2E%2E/%2E%2E/secrets",
      "/clusters/child/api/v1/namespaces/%252e%252e/secrets",
      "/clusters/child/api/v1/./namespaces",
      "/clusters/child/api/v1/namespaces/../secrets",
      "/clusters/child//api/v1/namespaces",
      "//clusters/child/api/v1/namespaces",
      "/clusters//child/api/v1/namespaces",
      "/clusters/child/api/v1/namespaces/a%5c..%5csecrets",
      "/clusters/child/api/v1/namespaces/a%00",
      "/api/clusters/x/register/../../../clusters/child/api/v1/secrets",
      "/clusters/child/%2e%2e/other/api/v1/secrets",
      "/clusters/child/api/v1/namespaces/%2fetc",
      "/clusters/child/../other/api/v1/secrets",
    ];
    for (const target of attacks) {
      const code = await rawStatus(port, get(target));
      assert.ok(code >= 400 && code < 500, `${target} answered ${code}`);
    }
    assert.equal(agent.requests.length, 1, JSON.stringify(agent.requests.map((r) => r.path)));
  } finally {
    await server.shutdown();
  }
});

Deno.test("guard: too many or too large headers are refused before any handler", async () => {
  const { server, port, handled } = startProxy();
  try {
    for (const count of [200, 2_000]) {
      const many = Array.from({ length: count }, (_, i) => `X-H${i}: v\r\n`).join("");
      assert.ok([0, 400, 431].includes(await rawStatus(port, get("/clusters/child/api", many))));
    }
    for (const size of [64 << 10, 1 << 20]) {
      const large = `X-Big: ${"a".repeat(size)}\r\n`;
      assert.ok([0, 400, 431].includes(await rawStatus(port, get("/clusters/child/api", large))));
    }
    assert.equal(handled(), 0);
    // The server still serves.
    assert.equal(await rawStatus(port, get("/clusters/child/api")), 200);
  } finally {
    await server.shutdown();
  }
});

Deno.test("guard: a client over its connection rate is held in the tarpit, then closed", async () => {
  const { server, port } = startProxy({
    connectionRate: { burst: 2, perMinute: 1 },
    tarpitMs: 400,
    tarpitMax: 4,
  });
  try {
    const open = () => Deno.connect({ hostname: "127.0.0.1", port });
    const admitted = [await open(), await open()];
    // Refused (rate spent): held open, unanswered, for the tarpit's time.
    const started = performance.now();
    const held = await open();
    const n = await closedWithin(held, 5_000);
    const heldMs = performance.now() - started;
    // Closed for real (a TLS socket closed before its handshake used to stay open).
    assert.equal(n, "closed");
    assert.ok(heldMs >= 300, `closed after ${heldMs} ms, not held`);
    // Past tarpitMax, refusals are closed at once (the tarpit's own bound).
    const many = await Promise.all(Array.from({ length: 8 }, open));
    const closedAt = await Promise.all(many.map(async (c) => {
      const t = performance.now();
      assert.equal(await closedWithin(c, 5_000), "closed");
      return performance.now() - t;
    }));
    assert.ok(closedAt.filter((ms) => ms < 300).length >= 4, JSON.stringify(closedAt));
    assert.equal(server.stats().refused, 9);
    for (const c of [...admitted, held, ...many]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("UploadPacer: heavy uploaders share the total; a light client is not held", () => {
  let now = 0;
  const pacer = new UploadPacer(8 << 20, 4 << 20, () => now);
  // Within the first MiB of a second a client is not counted against the total.
  assert.equal(pacer.take("heavy-a", 1 << 20), 0);
  // Heavy uploaders take from the total (own allowances still positive: no wait yet).
  assert.equal(pacer.take("heavy-a", 2 << 20), 0);
  assert.equal(pacer.take("heavy-b", 1 << 20), 0);
  assert.equal(pacer.take("heavy-b", 2 << 20), 0);
  // The total is spent: the next heavy chunk waits, though heavy-b's own allowance is not.
  assert.ok(pacer.take("heavy-b", 1 << 20) > 0);
  // Past its own allowance, a client waits at its own rate too.
  assert.ok(pacer.take("heavy-c", 9 << 20) > 0);
  // A light client (request heads) never waits, however spent the total is.
  for (let i = 0; i < 100; i++) assert.equal(pacer.take("light", 2_000), 0);
  // Time refills the allowances.
  now += 10_000;
  assert.equal(pacer.take("heavy-a", 1 << 20), 0);
});
