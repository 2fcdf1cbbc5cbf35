/**
 * What a handler throws, and what breaks a response body midway (a proxied watch whose
 * cluster went away, a cell's shutdown), reaches the server's `onError` (the cell logs it
 * at the right level) instead of Deno's raw print of the error and its stack.
 */
import assert from "node:assert/strict";
import { serveHttps } from "../../lib/cell/mod.ts";
import { createCa, issueServerCert } from "../../lib/pki/mod.ts";
import { until } from "../_until.ts";

const ca = await createCa({ commonName: "guard-errors-test-ca" });
const serving = await issueServerCert(ca, { dnsNames: ["localhost"] });

class Gone extends Error {}

Deno.test("guard: thrown and mid-body errors go to onError; the client sees 500 or a cut", async () => {
  const reported: unknown[] = [];
  const stop = new AbortController();
  const server = serveHttps({
    fetch(request) {
      if (new URL(request.url).pathname === "/throw") throw new Error("handler failed");
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("first\n"));
          setTimeout(() => controller.error(new Gone("stream lost")), 100);
        },
      });
      return new Response(body);
    },
  }, {
    hostname: "127.0.0.1",
    port: 0,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    signal: stop.signal,
    onError: (error) => reported.push(error),
  });
  const client = Deno.createHttpClient({ caCerts: [ca.certPem] });
  const base = `https://localhost:${server.addr.port}`;
  try {
    const thrown = await fetch(`${base}/throw`, { client });
    assert.equal(thrown.status, 500);
    await thrown.body?.cancel();
    await until("the thrown error reported", () => Promise.resolve(reported[0]), 10_000);
    assert.match(String(reported[0]), /handler failed/);

    const cut = await fetch(`${base}/cut`, { client });
    assert.equal(cut.status, 200);
    await assert.rejects(cut.text(), "the client sees the body cut, not a clean end");
    await until("the cut body reported", () => Promise.resolve(reported[1]), 10_000);
    assert.ok(reported[1] instanceof Gone);
  } finally {
    client.close();
    stop.abort();
    await server.finished;
  }
});
