/**
 * `kubectl exec | attach | logs -f` through the cell's proxy, one hop (over a real agent
 * gRPC stream) and two hops (the child is a cell), with the REAL kubectl and the REAL
 * apiserver proxying WebSockets to the sandbox's simulated kubelet.
 */
import assert from "node:assert/strict";
import { createLogger } from "../../lib/log/mod.ts";
import { relayStats } from "../../lib/proxy/relay.ts";
import { kubectl, resolveBinaries } from "../../lib/sandbox/mod.ts";
import { SimulatedKubelet } from "../../lib/sandbox/sim_kubelet.ts";
import type { KubeClient } from "../../lib/kube/mod.ts";
import { CELL, CHILD, GRANDCHILD, grantAccess, startProxyEnv } from "../proxy/_env.ts";
import { grantNestedAccess } from "../proxy/_rbac.ts";
import { until } from "../proxy/_http.ts";

const NODE = "sim-node-1";

async function podOn(client: KubeClient, namespace: string, name: string): Promise<void> {
  await client.apply({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { nodeName: NODE, containers: [{ name: "main", image: "sandbox/simulated" }] },
  });
}

async function grantStreaming(client: KubeClient, namespace: string, user: string) {
  await client.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "pod-streams", namespace },
    rules: [{
      apiGroups: [""],
      resources: ["pods", "pods/exec", "pods/attach", "pods/log", "pods/portforward"],
      verbs: ["get", "list", "create"],
    }],
  });
  await client.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: `pod-streams-${user.replaceAll(":", "-")}`, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-streams" },
    subjects: [{ kind: "User", name: user }],
  });
}

Deno.test("proxy: kubectl exec, attach and logs -f through one and two hops", async (t) => {
  const logger = createLogger({ level: "warn", format: "text" });
  const env = await startProxyEnv({ transport: "stream", logger });
  const dir = await Deno.makeTempDir({ prefix: "lattice-sim-kubelet-" });
  const child = await SimulatedKubelet.start(`${dir}/child`);
  const grand = await SimulatedKubelet.start(`${dir}/grand`);
  const kubectlBin = (await resolveBinaries()).kubectl;
  try {
    await grantAccess(env, "alice");
    const token = await env.token("alice");
    const user = `lattice:${CELL}:system:serviceaccount:default:alice`;
    await child.register(env.childClient, NODE);
    await grantStreaming(env.childClient, "team", user);
    await podOn(env.childClient, "team", "app");
    // The grandchild is played by the parent plane (see _env.ts).
    await grantNestedAccess(env, "system:serviceaccount:default:alice");
    await env.parentClient.apply({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "team" },
    });
    await grand.register(env.parentClient, NODE);
    await grantStreaming(env.parentClient, "team", `lattice:${CHILD}:${user}`);
    await podOn(env.parentClient, "team", "app");

    const hops = [
      { name: "one hop", kubelet: child, config: await env.kubeconfig(token) },
      {
        name: "two hops",
        kubelet: grand,
        config: await env.kubeconfig(token, [CHILD, GRANDCHILD]),
      },
    ];
    for (const hop of hops) {
      const k = (args: string[], stdin?: string) =>
        kubectl({ kubeconfigPath: hop.config }, ["-n", "team", ...args], {
          stdin,
          allowFailure: true,
        });

      await t.step(`${hop.name}: exec with stdin, output and exit codes`, async () => {
        let r = await k(["exec", "app", "--", "echo", "hello from the node"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "hello from the node\n");
        r = await k(["exec", "-i", "app", "--", "sh", "-c", "tr a-z A-Z; echo err >&2"], "abc\n");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "ABC\n");
        assert.match(r.stderr, /err/);
        r = await k(["exec", "app", "--", "sh", "-c", "exit 3"]);
        assert.equal(r.code, 3, r.stderr);
        r = await k(["exec", "app", "--", "/no/such/command"]);
        assert.notEqual(r.code, 0);
      });

      await t.step(`${hop.name}: exec -it in a terminal sends its size`, async () => {
        const before = hop.kubelet.resizes.length;
        // `script` gives kubectl a pseudo-terminal, so -t is honoured and a size is sent.
        const r = await new Deno.Command("script", {
          args: [
            "-qec",
            `stty cols 101 rows 33; ${kubectlBin} --kubeconfig ${hop.config} -n team exec -it app -- sh -c 'read l; echo got:$l'`,
            "/dev/null",
          ],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = r.stdin.getWriter();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        // A raw terminal passes the bytes as typed; the simulated container has no tty.
        await writer.write(new TextEncoder().encode("typed\n"));
        const timer = setTimeout(() => r.kill("SIGKILL"), 30_000);
        await writer.close().catch(() => {});
        const out = await r.output();
        clearTimeout(timer);
        const text = new TextDecoder().decode(out.stdout);
        assert.match(text, /got:typed/, text + new TextDecoder().decode(out.stderr));
        const sizes = hop.kubelet.resizes.slice(before);
        assert.ok(sizes.some((s) => s.width === 101 && s.height === 33), JSON.stringify(sizes));
      });

      await t.step(`${hop.name}: attach reaches the main process; logs -f follows`, async () => {
        const log = hop.kubelet.logPath("team", "app", "main");
        await Deno.remove(log).catch(() => {});
        await hop.kubelet.run("team", "app", "main", [
          "sh",
          "-c",
          "echo started; while read l; do echo got:$l; done",
        ]);
        const r = await k(["attach", "-i", "app", "-c", "main"], "one\n");
        assert.match(r.stdout, /got:one/, r.stderr);
        const follow = new Deno.Command(kubectlBin, {
          args: ["--kubeconfig", hop.config, "-n", "team", "logs", "-f", "app", "-c", "main"],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const reader = follow.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let seen = "";
        const read = async (pattern: RegExp) => {
          while (!pattern.test(seen)) {
            const { value, done } = await reader.read();
            if (done) throw new Error(`logs -f ended before ${pattern}: ${seen}`);
            seen += value;
          }
        };
        await read(/started/);
        await Deno.writeTextFile(log, "appended line\n", { append: true });
        await read(/appended line/);
        follow.kill("SIGTERM");
        await reader.cancel().catch(() => {});
        await follow.status;
        await follow.stderr.cancel().catch(() => {});
      });
    }

    await t.step("no relay outlives its connection", async () => {
      await until("relays closed", () => relayStats.open === 0, 10_000);
      assert.equal(child.execs + grand.execs, 0);
    });

    await t.step(
      "the agent's stream dropping mid-exec ends kubectl cleanly, nothing leaks",
      async () => {
        const running = new Deno.Command(kubectlBin, {
          args: ["--kubeconfig", hops[0].config, "-n", "team", "exec", "-i", "app", "--", "cat"],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = running.stdin.getWriter();
        await writer.write(new TextEncoder().encode("before\n"));
        // The echo came back: the session is live on every hop.
        const reader = running.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let seen = "";
        while (!seen.includes("before")) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`exec ended early: ${seen}`);
          seen += value;
        }
        assert.equal(child.execs, 1);
        await env.resetStream!();
        const timer = setTimeout(() => running.kill("SIGKILL"), 30_000);
        while (!(await reader.read()).done) { /* until kubectl exits */ }
        const status = await running.status;
        clearTimeout(timer);
        await writer.close().catch(() => {});
        await running.stderr.cancel().catch(() => {});
        assert.notEqual(status.code, 0, "kubectl reports the lost connection");
        await until("relays freed", () => relayStats.open === 0, 20_000);
        await until("the exec process ended", () => child.execs === 0, 20_000);
      },
    );

    await t.step("without RBAC on the child, exec is forbidden", async () => {
      const bob = await env.token("bob");
      await grantAccess(env, "bob");
      const config = await env.kubeconfig(bob);
      const r = await kubectl({ kubeconfigPath: config }, [
        "-n",
        "team",
        "exec",
        "app",
        "--",
        "true",
      ], { allowFailure: true });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /forbidden/i);
    });
  } finally {
    await child.stop();
    await grand.stop();
    await env.close();
    await Deno.remove(dir, { recursive: true });
  }
});
