/** The proxy over a real agent gRPC stream (mTLS, registry, StreamTransport) for tests. */
import { AgentClient } from "../../lib/agent/mod.ts";
import { AgentRegistry } from "../../lib/cell/registry.ts";
import { startAgentServer } from "../../lib/cell/grpc_server.ts";
import type { Logger } from "../../lib/log/mod.ts";
import {
  createCa,
  createCsr,
  generateKeyPair,
  issueServerCert,
  signClientCsr,
} from "../../lib/pki/mod.ts";
import {
  cancelProxyOnDisconnect,
  type ProxyExecutor,
  proxyHandlers,
  StreamTransport,
} from "../../lib/proxy/mod.ts";
import { CHILD, type Wiring } from "./_env.ts";

/** The real thing: a cell agent server, and the child's AgentClient with the proxy handlers. */
export async function overStream(executor: ProxyExecutor, logger?: Logger): Promise<Wiring> {
  const ca = await createCa({ commonName: "proxy-test-agent-ca" });
  const serverCert = await issueServerCert(ca, { dnsNames: ["localhost"] });
  const { keys, privateKeyPem } = await generateKeyPair();
  const csr = await createCsr(keys, { commonName: CHILD });
  const certPem = await signClientCsr(ca, csr, { identity: CHILD });
  const registry = new AgentRegistry({ logger });
  const server = await startAgentServer({ ca, serverCert, registry, logger });
  const transport = new StreamTransport(registry, { isKnown: (name) => name === "gone" });
  const connected = new Promise<void>((resolve) => {
    const off = registry.subscribe((event) => {
      if (event.type === "connected" && event.info.clusterName === CHILD) {
        off();
        resolve();
      }
    });
  });
  const agent = new AgentClient({
    address: `localhost:${server.port}`,
    clusterName: CHILD,
    credentials: { caPem: ca.certPem, certPem, keyPem: privateKeyPem },
    handlers: proxyHandlers(executor),
    backoff: { initialMs: 10, maxMs: 50 },
    logger,
  });
  const off = cancelProxyOnDisconnect(agent, executor);
  agent.start();
  await connected;
  return {
    transport,
    resetStream() {
      // A newer stream for the same cluster replaces (closes) the agent's; the agent
      // reconnects and replaces the stand-in in turn.
      const back = new Promise<void>((resolve) => {
        let seen = 0;
        const stop = registry.subscribe((event) => {
          // The first "connected" is the stand-in's own; the second is the agent's.
          if (event.type === "connected" && event.info.clusterName === CHILD && ++seen === 2) {
            stop();
            resolve();
          }
        });
      });
      registry.attach(CHILD, { write: () => {}, close: () => {} });
      return back;
    },
    async close() {
      off();
      await agent.stop();
      transport.close();
      registry.close();
      await server.close(0);
    },
  };
}
