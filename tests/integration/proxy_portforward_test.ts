/**
 * `kubectl port-forward` through the cell's proxy (one and two hops) with the REAL kubectl
 * and apiserver and the simulated kubelet's SPDY-in-WebSocket tunnel: 100 MB each way,
 * byte-exact, concurrently (an echo server behind the pod's port).
 */
import assert from "node:assert/strict";
import { createLogger } from "../../lib/log/mod.ts";
import { relayStats } from "../../lib/proxy/relay.ts";
import { resolveBinaries } from "../../lib/sandbox/mod.ts";
import { SimulatedKubelet } from "../../lib/sandbox/sim_kubelet.ts";
import { CELL, CHILD, GRANDCHILD, grantAccess, startProxyEnv } from "../proxy/_env.ts";
import { grantNestedAccess } from "../proxy/_rbac.ts";
import { until } from "../proxy/_http.ts";
import { echoServer, grantStreaming, podOn, portForward, roundTrip } from "./_portforward.ts";

const MB = Number(Deno.env.get("LATTICE_PF_TEST_MB") ?? 100);

Deno.test(`proxy: kubectl port-forward carries ${MB} MB each way byte-exact`, async (t) => {
  const logger = createLogger({ level: "warn", format: "text" });
  const env = await startProxyEnv({ transport: "stream", logger });
  const dir = await Deno.makeTempDir({ prefix: "lattice-sim-kubelet-" });
  const child = await SimulatedKubelet.start(`${dir}/child`);
  const grand = await SimulatedKubelet.start(`${dir}/grand`);
  const echo = echoServer();
  const kubectlBin = (await resolveBinaries()).kubectl;
  try {
    child.portMap.set(8080, echo.port);
    grand.portMap.set(8080, echo.port);
    await grantAccess(env, "alice");
    const token = await env.token("alice");
    const user = `lattice:${CELL}:system:serviceaccount:default:alice`;
    await child.register(env.childClient, "sim-node-1");
    await grantStreaming(env.childClient, "team", user);
    await podOn(env.childClient, "team", "app");
    await grantNestedAccess(env, "system:serviceaccount:default:alice");
    await grand.register(env.parentClient, "sim-node-1");
    await grantStreaming(env.parentClient, "team", `lattice:${CHILD}:${user}`);
    await podOn(env.parentClient, "team", "app");
    const hops = [
      { name: "direct", config: env.child.kubeconfigPath },
      { name: "one hop", config: await env.kubeconfig(token) },
      { name: "two hops", config: await env.kubeconfig(token, [CHILD, GRANDCHILD]) },
    ];
    for (const hop of hops) {
      await t.step(hop.name, async () => {
        const forward = await portForward(kubectlBin, hop.config, "team", "app", 8080);
        try {
          const result = await roundTrip(forward.port, MB << 20).catch((e) => {
            throw new Error(`${e.message}: ${forward.errors()}`);
          });
          console.log(`${hop.name}: ${MB} MB each way in ${Math.round(result.ms)} ms`);
          assert.equal(result.received, MB << 20);
          assert.equal(result.receivedHash, result.sentHash);
        } finally {
          await forward.stop();
        }
      });
    }
    await t.step("every relay and tunnel is freed", async () => {
      await until("relays freed", () => relayStats.open === 0, 20_000);
      await until("tunnels closed", () => child.forwards + grand.forwards === 0, 20_000);
    });
  } finally {
    echo.close();
    await child.stop();
    await grand.stop();
    await env.close();
    await Deno.remove(dir, { recursive: true });
  }
});
