/**
 * The Kubernetes API proxy end to end with the REAL kubectl: a parent plane authenticates
 * and authorizes, the cell's proxy runs on Deno.serve over HTTPS, and the child plane's
 * executor impersonates the caller, so the child's RBAC decides.
 */
import { createLogger } from "../../lib/log/mod.ts";
import assert from "node:assert/strict";
import { kubectl, resolveBinaries } from "../../lib/sandbox/mod.ts";
import { rawStatus, readUntil, until } from "../proxy/_http.ts";
import { grantNestedAccess, grantProxyEverywhere } from "../proxy/_rbac.ts";
import { CELL, CHILD, GRANDCHILD, grantAccess, startProxyEnv } from "../proxy/_env.ts";

const ALICE = "system:serviceaccount:default:alice";

for (const transport of ["in-process", "stream"] as const) {
  Deno.test(`proxy (${transport}): kubectl through the cell reaches the child as the caller`, async (t) => {
    const logger = createLogger({ level: "warn", format: "text" });
    const env = await startProxyEnv({ transport, logger });
    try {
      await grantAccess(env, "alice");
      const alice = await env.token("alice");
      const bob = await env.token("bob");
      const kubeconfigPath = await env.kubeconfig(alice);
      const k = (args: string[], stdin?: string) =>
        kubectl({ kubeconfigPath }, args, { stdin, allowFailure: true });

      await t.step("apply, get, list, patch, delete", async () => {
        const manifest = JSON.stringify({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "one", namespace: "team" },
          data: { a: "1" },
        });
        let r = await k(["apply", "-f", "-"], manifest);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /configmap\/one created/);
        r = await k(["-n", "team", "get", "configmap", "one", "-o", "jsonpath={.data.a}"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "1");
        r = await k(["-n", "team", "patch", "configmap", "one", "-p", '{"data":{"a":"2"}}']);
        assert.equal(r.code, 0, r.stderr);
        const direct = await env.childClient.request<{ data: Record<string, string> }>({
          method: "GET",
          path: "/api/v1/namespaces/team/configmaps/one",
        });
        assert.equal(direct.data.a, "2");
        r = await k(["-n", "team", "get", "configmaps", "-o", "name"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /configmap\/one/);
        // Table output goes through content negotiation (application/json;as=Table).
        r = await k(["-n", "team", "get", "configmaps"]);
        assert.match(r.stdout, /^NAME\s+DATA\s+AGE/m);
        r = await k(["-n", "team", "delete", "configmap", "one"]);
        assert.equal(r.code, 0, r.stderr);
        r = await k(["-n", "team", "get", "configmap", "one"]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /NotFound|not found/);
      });

      await t.step("a request forbidden on the child is forbidden through the proxy", async () => {
        const r = await k(["-n", "kube-system", "get", "secrets"]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Forbidden|forbidden/);
        assert.ok(r.stderr.includes(`lattice:${CELL}:${ALICE}`), r.stderr);
      });

      await t.step("caller-sent Impersonate-* headers are stripped", async () => {
        const res = await env.fetch(
          "/clusters/child/api/v1/namespaces/kube-system/secrets",
          alice,
          {
            headers: { "Impersonate-User": "admin", "Impersonate-Group": "system:masters" },
          },
        );
        const body = await res.json();
        assert.equal(res.status, 403);
        assert.ok(body.message.includes(`lattice:${CELL}:${ALICE}`), body.message);
      });

      await t.step("kubectl get -w receives events; killing it frees the watch", async () => {
        const { kubectl: kubectlPath } = await resolveBinaries();
        const child = new Deno.Command(kubectlPath, {
          args: [
            "--kubeconfig",
            kubeconfigPath,
            "-n",
            "team",
            "get",
            "configmaps",
            "-w",
            "-o",
            "name",
          ],
          stdout: "piped",
          stderr: "null",
          env: { KUBECACHEDIR: "/dev/null" },
        }).spawn();
        const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
        try {
          await until("the watch to start on the child", () => env.executor.inFlight >= 1);
          await env.childClient.create({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "watched", namespace: "team" },
          });
          const out = await readUntil(reader, (s) => s.includes("configmap/watched"));
          assert.match(out, /configmap\/watched/);
        } finally {
          child.kill("SIGTERM");
          await reader.cancel().catch(() => {});
          await child.status;
        }
        await until("the watch to end on the child", () => env.executor.inFlight === 0);
      });

      await t.step("a watch streams event by event", async () => {
        const res = await env.fetch(
          "/clusters/child/api/v1/namespaces/team/configmaps?watch=true&resourceVersion=0",
          alice,
        );
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type") ?? "", /application\/json/);
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        try {
          for (const name of ["s1", "s2"]) {
            await env.childClient.create({
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: { name, namespace: "team" },
            });
            const text = await readUntil(reader, (s) => s.includes(`"name":"${name}"`));
            assert.match(text, /"type":"(ADDED|MODIFIED)"/);
          }
        } finally {
          await reader.cancel();
        }
        await until("the watch to end on the child", () => env.executor.inFlight === 0);
      });

      await t.step(
        "100 concurrent requests beside an unread watch (no head-of-line block)",
        async () => {
          const watch = await env.fetch(
            "/clusters/child/api/v1/namespaces/team/configmaps?watch=true",
            alice,
          );
          assert.equal(watch.status, 200);
          // Events pile up for the watch while nobody reads it.
          for (let i = 0; i < 20; i++) {
            await env.childClient.create({
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: { name: `bulk-${i}`, namespace: "team" },
              data: { pad: "x".repeat(10_000) },
            });
          }
          const started = performance.now();
          const results = await Promise.all(
            Array.from({ length: 100 }, async () => {
              const res = await env.fetch(
                "/clusters/child/api/v1/namespaces/team/configmaps/s1",
                alice,
              );
              const text = await res.text();
              return res.status === 200 ? "200" : `${res.status} ${text}`;
            }),
          );
          assert.deepEqual(new Set(results), new Set(["200"]));
          assert.ok(performance.now() - started < 30_000);
          const reader = watch.body!.pipeThrough(new TextDecoderStream()).getReader();
          const text = await readUntil(reader, (s) => s.includes('"name":"bulk-19"'));
          assert.match(text, /bulk-0/);
          await reader.cancel();
          await until("the watch to end on the child", () => env.executor.inFlight === 0);
        },
      );

      await t.step(
        "nested hop /clusters/child/clusters/grandchild, authorized at each hop",
        async () => {
          const hop2 = await env.kubeconfig(alice, [CHILD, GRANDCHILD]);
          const nestedUser = `lattice:${CHILD}:lattice:${CELL}:${ALICE}`;
          // Allowed on the cell, but not yet on the child (the second hop).
          const denied = await env.fetch(
            `/clusters/${CHILD}/clusters/${GRANDCHILD}/api/v1/namespaces/team/configmaps`,
            alice,
          );
          assert.equal(denied.status, 403);
          const status = await denied.json();
          assert.match(status.message, /latticeclusters "grandchild"/);
          assert.ok(status.message.includes(`lattice:${CELL}:${ALICE}`), status.message);
          await grantNestedAccess(env, ALICE);
          let r = await kubectl({ kubeconfigPath: hop2 }, [
            "-n",
            "team",
            "get",
            "configmaps",
            "-o",
            "name",
          ], {
            allowFailure: true,
          });
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /configmap\/kube-root-ca.crt|^$/);
          r = await kubectl({ kubeconfigPath: hop2 }, ["-n", "team", "delete", "configmap", "x"], {
            allowFailure: true,
          });
          assert.match(r.stderr, /forbidden/i);
          assert.ok(r.stderr.includes(nestedUser), r.stderr);
        },
      );

      /** A proxied watch, once it runs on the child; `ended()` waits for it to end there. */
      const openChildWatch = async () => {
        const before = await env.childWatches();
        const res = await env.fetch(
          "/clusters/child/api/v1/namespaces/team/configmaps?watch=1",
          alice,
        );
        assert.equal(res.status, 200);
        await until(
          "the watch to run on the child",
          async () => (await env.childWatches()) > before,
        );
        return {
          res,
          ended: () =>
            until(
              "the watch to end on the child",
              async () => (await env.childWatches()) === before,
            ),
        };
      };

      await t.step("cancelling a watch frees it on the child's apiserver", async () => {
        const watch = await openChildWatch();
        await watch.res.body!.cancel();
        await watch.ended();
        assert.equal(env.executor.inFlight, 0);
      });

      if (env.resetStream) {
        const reset = env.resetStream;
        await t.step("a stream reset ends proxied watches here and on the child", async () => {
          const watch = await openChildWatch();
          await reset();
          await assert.rejects(watch.res.text());
          await watch.ended();
          const again = await env.fetch("/clusters/child/api/v1/namespaces/team/configmaps", alice);
          assert.equal(again.status, 200);
          await again.body?.cancel();
        });
      }

      await t.step("unauthenticated and unauthorized callers are refused", async () => {
        let res = await env.fetch("/clusters/child/api/v1/namespaces", undefined);
        assert.equal(res.status, 401);
        assert.equal((await res.json()).kind, "Status");
        res = await env.fetch("/clusters/child/api/v1/namespaces", "not-a-token");
        assert.equal(res.status, 401);
        await res.body?.cancel();
        res = await env.fetch("/clusters/child/api/v1/namespaces", bob);
        assert.equal(res.status, 403);
        assert.equal((await res.json()).reason, "Forbidden");
        const r = await kubectl({ kubeconfigPath: await env.kubeconfig(bob) }, ["get", "ns"], {
          allowFailure: true,
        });
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Forbidden|forbidden/);
      });

      await t.step("unknown cluster 404, disconnected 503, as Status", async () => {
        // alice may proxy only to "child": ask as a user allowed everywhere.
        await grantProxyEverywhere(env, "carol");
        const carol = await env.token("carol");
        let res = await env.fetch("/clusters/nowhere/api/v1/namespaces", carol);
        assert.equal(res.status, 404);
        assert.equal((await res.json()).reason, "NotFound");
        res = await env.fetch("/clusters/gone/api/v1/namespaces", carol);
        assert.equal(res.status, 503);
        assert.equal((await res.json()).reason, "ServiceUnavailable");
      });

      await t.step("path abuse is refused", async () => {
        const abusive = [
          "/clusters/child/api/v1/namespaces/%2e%2e/%2e%2e/healthz",
          "/clusters/child/api/../../healthz",
          "/clusters/child/api/v1/namespaces/a%2fb/configmaps",
          "/clusters/child/api/v1/namespaces/%252e%252e/configmaps",
          "/clusters/Child_1/api/v1/namespaces",
          "/clusters/child//api/v1",
        ];
        for (const path of abusive) {
          assert.equal(await rawStatus(env, path, alice), 400, path);
        }
        assert.equal(await rawStatus(env, "/clusters/child/healthz", alice), 404);
        assert.equal(await rawStatus(env, "/clusters/child/logs/kube-apiserver.log", alice), 404);
      });
    } finally {
      await env.close();
    }
  });
}
