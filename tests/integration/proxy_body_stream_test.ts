/**
 * Streamed request bodies through a live cell to a real child apiserver (issue #25 item 1):
 * a large legitimate body arrives byte-exact without the cell holding it whole, a chunked
 * body past the limit is refused while the cell's memory stays flat, and a client leaving
 * mid-body leaves no request open on the child.
 */
import assert from "node:assert/strict";
import { grantProxy, startCellEnv } from "./_cell_env.ts";
import { rawExchange } from "./_raw.ts";
import { until } from "../_until.ts";

Deno.test("proxy: request bodies stream through the cell, bounded", async (t) => {
  const env = await startCellEnv({
    limits: { connections: { connectionRate: { burst: 10_000, perMinute: 600_000 } } },
  });
  try {
    await env.createCluster("child");
    await env.connectChild("child");
    await until(
      "agent connected",
      () => Promise.resolve(env.cell.registry.get("child")?.connected ? true : undefined),
      30_000,
    );
    await grantProxy(env, "alice", "*");
    const alice = await env.token("alice");
    // On the child, alice (as the cell's prefixed identity) may write ConfigMaps.
    await env.childClient.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "alice-edit" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "cluster-admin",
      },
      subjects: [{
        kind: "User",
        name: "lattice:root:system:serviceaccount:default:alice",
        apiGroup: "rbac.authorization.k8s.io",
      }],
    });
    let last = "";
    const openRelays = () => last;
    // Open relays: requests and streamed bodies on the cell and on the child.
    const open = () => {
      const cell = env.cell.proxyTransport;
      const count = cell.inFlight + cell.bodiesInFlight +
        env.executors.reduce((n, e) => n + e.inFlight + e.bodiesInFlight, 0);
      if (count !== 0) {
        last = `cell ${cell.inFlight} requests, ${cell.bodiesInFlight} bodies; child ` +
          env.executors.map((e) => `${e.inFlight} requests, ${e.bodiesInFlight} bodies`);
      }
      return Promise.resolve(count === 0 ? true : undefined);
    };

    await t.step("a 3 MiB ConfigMap create arrives byte-exact", async () => {
      // The apiserver takes 3 MiB bodies; a ConfigMap holds at most 1 MiB of data, so the
      // rest of the body is JSON whitespace (still parsed, still relayed).
      const value = Array.from({ length: 900 << 10 }, (_, i) => "abcdefghij"[i % 10]).join("");
      const json = JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "big", namespace: "default" },
        data: { value },
      });
      const body = json.slice(0, -1) + " ".repeat((3 << 20) - json.length - 1024) + "}";
      const created = await env.fetch(
        "/clusters/child/api/v1/namespaces/default/configmaps",
        alice,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        },
      );
      assert.equal(created.status, 201, (await created.text()).slice(0, 500));
      const stored = await env.childClient.request<{ data: { value: string } }>({
        method: "GET",
        path: "/api/v1/namespaces/default/configmaps/big",
      });
      assert.equal(stored.data.value, value);
      // The same through a chunked (length-less) body: a server-side apply.
      const applied = await env.fetch(
        "/clusters/child/api/v1/namespaces/default/configmaps/big?fieldManager=t&force=true",
        alice,
        {
          method: "PATCH",
          headers: { "content-type": "application/apply-patch+yaml" },
          body: new Blob([body.replace("abcdefghij", "ABCDEFGHIJ")]).stream(),
        },
      );
      assert.equal(applied.status, 200, (await applied.text()).slice(0, 500));
      const again = await env.childClient.request<{ data: { value: string } }>({
        method: "GET",
        path: "/api/v1/namespaces/default/configmaps/big",
      });
      assert.equal(again.data.value, value.replace("abcdefghij", "ABCDEFGHIJ"));
      await until("no open relay", open, 10_000).catch((e) => {
        throw new Error(`${e.message}: ${openRelays()}`);
      });
    });

    await t.step("a chunked body past the limit: 413, the cell's memory stays flat", async () => {
      const head = "POST /clusters/child/api/v1/namespaces/default/configmaps HTTP/1.1\r\n" +
        `Host: localhost\r\nAuthorization: Bearer ${alice}\r\n` +
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
      const before = Deno.memoryUsage();
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => rawExchange(env.port, env.cell.caPem, head, 64 << 20)),
      );
      const after = Deno.memoryUsage();
      for (const answer of answers) {
        assert.equal(answer.status, 413, answer.head);
        assert.ok(answer.sent < 32 << 20, `read ${answer.sent} bytes past the 4 MiB limit`);
      }
      const growth = after.rss - before.rss;
      console.log(
        `heap ${before.heapUsed >> 20} -> ${after.heapUsed >> 20} MiB, ` +
          `rss ${before.rss >> 20} -> ${after.rss >> 20} MiB`,
      );
      // Four 64 MiB offers, each cut at 4 MiB and never held whole.
      assert.ok(growth < 64 << 20, `rss grew ${growth >> 20} MiB`);
      await until("no open relay", open, 10_000).catch((e) => {
        throw new Error(`${e.message}: ${openRelays()}`);
      });
    });

    await t.step("a client leaving mid-body leaves no open request", async () => {
      const conn = await Deno.connectTls({
        hostname: "localhost",
        port: env.port,
        caCerts: [env.cell.caPem],
      });
      const encoder = new TextEncoder();
      await conn.write(encoder.encode(
        "POST /clusters/child/api/v1/namespaces/default/configmaps HTTP/1.1\r\n" +
          `Host: localhost\r\nAuthorization: Bearer ${alice}\r\n` +
          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      ));
      const chunk = new Uint8Array(256 << 10).fill(0x20);
      for (let i = 0; i < 4; i++) {
        const framed = [
          encoder.encode(`${chunk.length.toString(16)}\r\n`),
          chunk,
          encoder.encode("\r\n"),
        ];
        for (const part of framed) {
          for (let at = 0; at < part.length;) at += await conn.write(part.subarray(at));
        }
      }
      await until(
        "the request reached the child",
        () =>
          Promise.resolve(
            env.cell.proxyTransport.bodiesInFlight > 0 &&
              env.executors.some((e) => e.bodiesInFlight > 0)
              ? true
              : undefined,
          ),
        20_000,
      );
      conn.close();
      await until("no open relay", open, 20_000).catch((e) => {
        throw new Error(`${e.message}: ${openRelays()}`);
      });
    });
  } finally {
    await env.close();
  }
});
