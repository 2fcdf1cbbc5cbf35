/**
 * The upgraded-connection figures of `deno task bench proxy`: port-forward throughput
 * proxied vs direct (100 MB each way by default, `LATTICE_BENCH_PF_MB`), exec round trip
 * (a line through `kubectl exec -i ... cat`, direct vs proxied), and the memory one open
 * relay costs (cell, agent and simulated kubelet share this process: the figure covers all).
 */
import { percentile } from "./_harness.ts";
import { CELL, type ProxyEnv } from "../tests/proxy/_env.ts";
import { resolveBinaries } from "../lib/sandbox/mod.ts";
import { SimulatedKubelet } from "../lib/sandbox/sim_kubelet.ts";
import { relayStats } from "../lib/proxy/relay.ts";
import {
  echoServer,
  grantStreaming,
  podOn,
  portForward,
  roundTrip,
} from "../tests/integration/_portforward.ts";

function execSession(kubectl: string, config: string) {
  const child = new Deno.Command(kubectl, {
    args: ["--kubeconfig", config, "-n", "team", "exec", "-i", "app", "--", "cat"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const echo = async (line: string) => {
    await writer.write(new TextEncoder().encode(line + "\n"));
    while (!seen.includes(line)) {
      const { value, done } = await reader.read();
      if (done) throw new Error("exec ended");
      seen += value;
    }
    seen = "";
  };
  return {
    echo,
    async close() {
      await writer.close().catch(() => {});
      await reader.cancel().catch(() => {});
      await child.status;
    },
  };
}

/** Runs the upgraded-connection figures against `env` (stream transport). */
export async function streamFigures(env: ProxyEnv, token: string) {
  const mb = Number(Deno.env.get("LATTICE_BENCH_PF_MB") ?? 100);
  const relays = Number(Deno.env.get("LATTICE_BENCH_RELAYS") ?? 20);
  const dir = await Deno.makeTempDir({ prefix: "lattice-bench-kubelet-" });
  const kubelet = await SimulatedKubelet.start(dir);
  const echo = echoServer();
  const kubectl = (await resolveBinaries()).kubectl;
  try {
    kubelet.portMap.set(8080, echo.port);
    await kubelet.register(env.childClient, "sim-node-1");
    await grantStreaming(
      env.childClient,
      "team",
      `lattice:${CELL}:system:serviceaccount:default:alice`,
    );
    await podOn(env.childClient, "team", "app");
    const proxied = await env.kubeconfig(token);
    const direct = env.child.kubeconfigPath;
    const pf = async (config: string) => {
      const forward = await portForward(kubectl, config, "team", "app", 8080);
      try {
        const r = await roundTrip(forward.port, mb << 20).catch((error) => {
          throw new Error(`port-forward failed: ${error.message}: ${forward.errors()}`);
        });
        if (r.receivedHash !== r.sentHash) throw new Error("port-forward bytes differ");
        return (2 * mb) / (r.ms / 1000);
      } finally {
        await forward.stop();
      }
    };
    // A failed transfer is retried once and counted (the simulated kubelet's SPDY under a
    // loaded machine has lost a tunnel now and then: see docs/proxy.md).
    let failures = 0;
    const attempt = async (config: string) => {
      try {
        return await pf(config);
      } catch (error) {
        failures++;
        const which = config === direct ? "direct" : "proxied";
        console.error(`proxy bench: ${which}: ${(error as Error).message}; retrying once`);
        return await pf(config);
      }
    };
    const pfDirect = await attempt(direct);
    const pfProxied = await attempt(proxied);
    const rtt = async (config: string) => {
      const session = await execSession(kubectl, config);
      try {
        await session.echo("warm-up");
        const samples: number[] = [];
        for (let i = 0; i < 50; i++) {
          const t = performance.now();
          await session.echo(`line-${i}`);
          samples.push(performance.now() - t);
        }
        return samples;
      } finally {
        await session.close();
      }
    };
    const rttDirect = await rtt(direct);
    const rttProxied = await rtt(proxied);
    // Memory per open relay: `relays` exec sessions held open through the proxy.
    const before = Deno.memoryUsage().rss;
    const sessions = [];
    for (let i = 0; i < relays; i++) {
      const s = await execSession(kubectl, proxied);
      await s.echo("open");
      sessions.push(s);
    }
    const open = relayStats.open;
    const after = Deno.memoryUsage().rss;
    for (const s of sessions) await s.close();
    return {
      portforward_mb_each_way: mb,
      portforward_direct_mb_s: Math.round(pfDirect * 10) / 10,
      portforward_proxied_mb_s: Math.round(pfProxied * 10) / 10,
      portforward_ratio: Math.round((pfProxied / pfDirect) * 100) / 100,
      portforward_failures_retried: failures,
      exec_rtt_p50_direct_ms: percentile(rttDirect, 50),
      exec_rtt_p50_proxied_ms: percentile(rttProxied, 50),
      exec_rtt_p99_direct_ms: percentile(rttDirect, 99),
      exec_rtt_p99_proxied_ms: percentile(rttProxied, 99),
      relays_open_measured: open,
      relay_rss_kib_each: Math.round((after - before) / 1024 / Math.max(1, relays)),
    };
  } finally {
    echo.close();
    await kubelet.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
