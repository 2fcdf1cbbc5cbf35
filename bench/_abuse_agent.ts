/**
 * The child's agent for `deno task bench abuse`, as its own process (as it runs in a real
 * child cluster), so the bodies it relays to the child's apiserver are not counted in the
 * cell's memory nor run on the cell's event loop. Runs until killed.
 *
 *   deno run -A bench/_abuse_agent.ts CONFIG_JSON
 */
import { AgentClient } from "../lib/agent/mod.ts";
import { KubeClient } from "../lib/kube/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import { cancelProxyOnDisconnect, ProxyExecutor, proxyHandlers } from "../lib/proxy/mod.ts";

/** What the benchmark hands the agent. */
export interface AbuseAgentConfig {
  grpcEndpoint: string;
  cluster: string;
  /** The cell's name (the identity prefix of proxied callers). */
  cell: string;
  childKubeconfig: string;
  credentials: { caPem: string; certPem: string; keyPem: string };
}

if (import.meta.main) {
  const config = JSON.parse(await Deno.readTextFile(Deno.args[0])) as AbuseAgentConfig;
  const logger = createLogger({ level: "error", format: "text" });
  const child = KubeClient.fromKubeconfig(config.childKubeconfig);
  const executor = new ProxyExecutor(child, config.cell, { logger });
  const agent = new AgentClient({
    address: config.grpcEndpoint,
    clusterName: config.cluster,
    credentials: config.credentials,
    handlers: proxyHandlers(executor),
    heartbeatIntervalMs: 1_000,
    backoff: { initialMs: 50, maxMs: 200 },
    logger,
  });
  cancelProxyOnDisconnect(agent, executor);
  agent.start();
  const stop = async () => {
    executor.cancelAll();
    await agent.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void stop());
}
