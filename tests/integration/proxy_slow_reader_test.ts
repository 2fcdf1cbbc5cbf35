/**
 * A caller that stops reading an exec's output flood for 10 s: every hop holds at most its
 * window (relay 1 MiB, sockets' buffers), so the process (cell, agent and simulated kubelet
 * all live here) grows by far less than the flood — which would be gigabytes unbounded.
 */
import assert from "node:assert/strict";
import { createLogger } from "../../lib/log/mod.ts";
import { openUpgrade } from "../../lib/kube/upgrade.ts";
import { relayStats } from "../../lib/proxy/relay.ts";
import { SimulatedKubelet } from "../../lib/sandbox/sim_kubelet.ts";
import { CELL, grantAccess, startProxyEnv } from "../proxy/_env.ts";
import { until } from "../proxy/_http.ts";
import { grantStreaming, podOn } from "./_portforward.ts";

const BOUND_MIB = 64;

Deno.test("proxy: a caller that stops reading for 10 s does not grow memory past the bound", async () => {
  const env = await startProxyEnv({
    transport: "stream",
    logger: createLogger({ level: "error", format: "text" }),
  });
  const dir = await Deno.makeTempDir({ prefix: "lattice-sim-kubelet-" });
  const kubelet = await SimulatedKubelet.start(dir);
  try {
    await grantAccess(env, "alice");
    const token = await env.token("alice");
    await kubelet.register(env.childClient, "sim-node-1");
    await grantStreaming(
      env.childClient,
      "team",
      `lattice:${CELL}:system:serviceaccount:default:alice`,
    );
    await podOn(env.childClient, "team", "app");
    const query = "command=cat&command=%2Fdev%2Fzero&stdout=true";
    const answer = await openUpgrade({
      server: env.cellUrl,
      caPem: env.cellCaPem,
      authorization: () => Promise.resolve(`Bearer ${token}`),
    }, {
      method: "GET",
      path: `/clusters/child/api/v1/namespaces/team/pods/app/exec?${query}`,
      headers: [
        ["Connection", "Upgrade"],
        ["Upgrade", "websocket"],
        ["Sec-WebSocket-Version", "13"],
        ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
        ["Sec-WebSocket-Protocol", "v5.channel.k8s.io"],
      ],
    });
    assert.equal(answer.status, 101, new TextDecoder().decode(answer.rest));
    const conn = answer.conn!;
    // Read a little: the flood runs.
    const buffer = new Uint8Array(1 << 20);
    let read = 0;
    while (read < 8 << 20) read += (await conn.read(buffer)) ?? 0;
    (globalThis as { gc?: () => void }).gc?.();
    const before = Deno.memoryUsage().rss;
    // Stop reading for 10 s.
    let peak = before;
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      peak = Math.max(peak, Deno.memoryUsage().rss);
    }
    const grown = (peak - before) / (1 << 20);
    console.log(`RSS grew ${grown.toFixed(1)} MiB while the reader stopped for 10 s`);
    assert.ok(grown < BOUND_MIB, `grew ${grown.toFixed(1)} MiB while the reader stopped`);
    // Reading again resumes the flood.
    let again = 0;
    while (again < 8 << 20) again += (await conn.read(buffer)) ?? 0;
    conn.close();
    await until("the relay is freed", () => relayStats.open === 0, 20_000);
    await until("the exec is killed", () => kubelet.execs === 0, 20_000);
  } finally {
    await kubelet.stop();
    await env.close();
    await Deno.remove(dir, { recursive: true });
  }
});
