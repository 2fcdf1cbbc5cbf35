/**
 * Attacks on a live cell's Kubernetes API proxy (real parent and child planes, the cell's
 * servers as the operator runs them, agents over real mTLS streams; loopback only). Each
 * step reproduces a defect found by an attack run (issue #25) and fails without its fix.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { CommandHandlers } from "../../lib/agent/mod.ts";
import { CELL, type CellEnv, grantProxy, startCellEnv } from "./_cell_env.ts";
import { apiserverCounter, getFrom, rawExchange } from "./_raw.ts";
import { until } from "../_until.ts";

const SA = (name: string) => `system:serviceaccount:default:${name}`;

/** An agent that answers every proxied request with what a compromised child might send. */
function hostileHandlers(): CommandHandlers {
  return {
    k8sRequest: (request, ctx) => {
      const upgrade = request.path.includes("upgrade");
      ctx.send({
        $case: "k8sResponse",
        value: {
          requestId: request.requestId,
          status: upgrade ? 101 : 200,
          headers: {
            "content-type": "application/json",
            "set-cookie": "session=stolen; Path=/",
            "strict-transport-security": "max-age=63072000; includeSubDomains",
            location: "https://evil.example/",
            "x-evil": "1",
            ...(upgrade ? { upgrade: "websocket", connection: "upgrade" } : {}),
          },
          body: Buffer.from('{"kind":"Status"}'),
          endOfStream: true,
        },
      });
    },
  };
}

async function connected(env: CellEnv, name: string): Promise<void> {
  await until(
    `agent ${name} connected`,
    () => Promise.resolve(env.cell.registry.get(name)?.connected ? true : undefined),
    30_000,
  );
}

Deno.test("security: the proxy of a live cell resists the attacks of issue #25", async (t) => {
  const env = await startCellEnv({
    limits: {
      // Connections are not what this test limits (https_guard_test.ts does that).
      connections: { connectionRate: { burst: 10_000, perMinute: 600_000 } },
      proxyRate: { burst: 100, perMinute: 60 },
      authFailureRate: { burst: 5, perMinute: 6 },
    },
  });
  try {
    await env.createCluster("child");
    await env.createCluster("waiting");
    await env.createCluster("evil");
    await env.connectChild("child");
    env.agent("evil", await env.credentials("evil"), hostileHandlers());
    await connected(env, "child");
    await connected(env, "evil");
    await grantProxy(env, "alice", "*");
    const alice = await env.token("alice");
    const bob = await env.token("bob"); // valid, but may proxy nowhere

    await t.step("a living cluster whose agent never connected answers 503", async () => {
      const waiting = await env.fetch("/clusters/waiting/api", alice);
      assert.equal(waiting.status, 503, await waiting.text());
      assert.equal(waiting.headers.get("retry-after"), "5");
      const unknown = await env.fetch("/clusters/nowhere/api", alice);
      assert.equal(unknown.status, 404, await unknown.text());
    });

    await t.step(
      "a chunked body is not read before authorization, nor past the limit",
      async () => {
        const head = (token: string) =>
          "POST /clusters/child/api/v1/namespaces/default/configmaps HTTP/1.1\r\n" +
          `Host: localhost\r\nAuthorization: Bearer ${token}\r\n` +
          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        // Up to 256 MiB offered; the cell must answer long before taking it all.
        const denied = await rawExchange(env.port, env.cell.caPem, head(bob), 256 << 20);
        assert.equal(denied.status, 403, denied.head);
        assert.ok(denied.sent < 32 << 20, `the cell read ${denied.sent} bytes before refusing`);
        const anonymous = await rawExchange(
          env.port,
          env.cell.caPem,
          head("not-a-token"),
          256 << 20,
        );
        assert.equal(anonymous.status, 401, anonymous.head);
        assert.ok(anonymous.sent < 32 << 20, `read ${anonymous.sent} bytes from a bad token`);
        // The body streams to the child behind the request: a child that refuses the caller
        // answers at once, and the rest of the body is not read either.
        const refused = await rawExchange(env.port, env.cell.caPem, head(alice), 256 << 20);
        assert.equal(refused.status, 403, refused.head);
        assert.match(refused.head, /audit-id/i, "the child's own answer");
        assert.ok(refused.sent < 32 << 20, `read ${refused.sent} bytes after the child refused`);
        // A child that accepts the caller reads on: the cell stops the body at its limit.
        const grant = { name: "alice-create-cm", namespace: "default" };
        await env.childClient.apply({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: grant,
          rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["create"] }],
        });
        await env.childClient.apply({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: grant,
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: grant.name },
          subjects: [{
            kind: "User",
            name: `lattice:${CELL}:${SA("alice")}`,
            apiGroup: "rbac.authorization.k8s.io",
          }],
        });
        const large = await until("the child's grant in effect", async () => {
          const answer = await rawExchange(env.port, env.cell.caPem, head(alice), 256 << 20);
          return answer.status === 403 ? undefined : answer;
        }, 20_000);
        assert.equal(large.status, 413, large.head);
        assert.ok(large.sent < 32 << 20, `read ${large.sent} bytes past the 4 MiB limit`);
      },
    );

    await t.step("a caller in three groups arrives on the child in three groups", async () => {
      await env.childClient.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "team" },
      });
      await env.childClient.apply({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "one", namespace: "team" },
        data: { a: "1" },
      });
      // Each of alice's groups is bound on its own, to a different permission.
      const grants: [string, string, string[]][] = [
        ["get-cm", `lattice:${CELL}:system:serviceaccounts`, ["get"]],
        ["list-cm", `lattice:${CELL}:system:serviceaccounts:default`, ["list"]],
        ["watch-cm", `lattice:${CELL}:system:authenticated`, ["watch"]],
      ];
      for (const [name, group, verbs] of grants) {
        await env.childClient.apply({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name, namespace: "team" },
          rules: [{ apiGroups: [""], resources: ["configmaps"], verbs }],
        });
        await env.childClient.apply({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name, namespace: "team" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
          subjects: [{ kind: "Group", name: group, apiGroup: "rbac.authorization.k8s.io" }],
        });
      }
      const review = await env.fetch(
        "/clusters/child/apis/authentication.k8s.io/v1/selfsubjectreviews",
        alice,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            apiVersion: "authentication.k8s.io/v1",
            kind: "SelfSubjectReview",
          }),
        },
      );
      const body = await review.json();
      assert.equal(review.status, 201, JSON.stringify(body));
      const groups: string[] = body.status.userInfo.groups;
      for (const [, group] of grants) assert.ok(groups.includes(group), JSON.stringify(groups));
      assert.equal(body.status.userInfo.username, `lattice:${CELL}:${SA("alice")}`);
      const get = await env.fetch("/clusters/child/api/v1/namespaces/team/configmaps/one", alice);
      assert.equal(get.status, 200, await get.text());
      const list = await env.fetch("/clusters/child/api/v1/namespaces/team/configmaps", alice);
      assert.equal(list.status, 200, await list.text());
      const watch = await env.fetch(
        "/clusters/child/api/v1/namespaces/team/configmaps?watch=true&timeoutSeconds=1",
        alice,
      );
      assert.equal(watch.status, 200);
      await watch.body?.cancel();
    });

    await t.step("a Host carrying a proxy path does not route to the proxy", async () => {
      const answer = await rawExchange(
        env.port,
        env.cell.caPem,
        "GET /api/clusters/child/register HTTP/1.1\r\n" +
          "Host: localhost/clusters/child/api/v1/namespaces/team/configmaps?x=\r\n" +
          `Authorization: Bearer ${alice}\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(answer.status, 400, answer.head);
    });

    await t.step("a child's answer is filtered to what the Kubernetes API sends", async () => {
      const res = await env.fetch("/clusters/evil/api/v1/namespaces", alice);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      assert.equal(res.headers.get("content-type"), "application/json");
      for (const name of ["set-cookie", "strict-transport-security", "location", "x-evil"]) {
        assert.equal(res.headers.get(name), null, name);
      }
      const upgraded = await env.fetch("/clusters/evil/api/upgrade", alice);
      assert.equal(upgraded.status, 502);
      assert.equal((await upgraded.json()).kind, "Status");
    });

    await t.step("bad tokens are answered from a cache, then rate-limited per client", async () => {
      const metrics = async () => {
        const res = await env.parentClient.fetchRaw({
          method: "GET",
          path: "/metrics",
          headers: { accept: "text/plain" },
        });
        return await res.text();
      };
      const reviews = () =>
        apiserverCounter(metrics, "apiserver_request_total", 'resource="tokenreviews"');
      const before = await reviews();
      // One bad token, again and again: one review (answers are cached).
      for (let i = 0; i < 20; i++) {
        const r = await getFrom("127.0.0.6", env.port, env.cell.caPem, "/clusters/child/api", "x");
        assert.ok(r.status === 401 || r.status === 429, String(r.status));
      }
      // Many different bad tokens: a few reviews, then 429 without asking the apiserver.
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const token = `guess-${i}`;
        statuses.push(
          (await getFrom("127.0.0.7", env.port, env.cell.caPem, "/clusters/child/api", token))
            .status,
        );
      }
      assert.ok(statuses.includes(429), JSON.stringify(statuses));
      const spent = (await reviews()) - before;
      assert.ok(spent <= 8, `${spent} TokenReviews for 50 bad requests`);
      // A well-behaved client elsewhere is not affected.
      const fine = await env.fetch("/clusters/child/api", alice);
      assert.equal(fine.status, 200);
      await fine.body?.cancel();
    });

    await t.step("one client's request flood gets 429 + Retry-After", async () => {
      const results: { status: number; retryAfter?: string }[] = [];
      for (let batch = 0; batch < 13; batch++) {
        results.push(
          ...await Promise.all(
            Array.from(
              { length: 20 },
              () =>
                getFrom("127.0.0.5", env.port, env.cell.caPem, "/clusters/child/version", alice),
            ),
          ),
        );
      }
      const limited = results.filter((r) => r.status === 429);
      assert.ok(limited.length >= 100, `${limited.length} of 260 limited`);
      assert.ok(Number(limited[0].retryAfter) >= 1);
      const fine = await env.fetch("/clusters/child/version", alice);
      assert.equal(fine.status, 200);
      await fine.body?.cancel();
    });
  } finally {
    await env.close();
  }
});
