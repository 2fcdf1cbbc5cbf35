/**
 * Shared fixtures of the agent-stream tests: a cell CA with a server certificate, client
 * credentials per cluster, a running cell (registry + gRPC server) and event waiters.
 */
import {
  type CertificateAuthority,
  createCa,
  createCsr,
  generateKeyPair,
  issueServerCert,
  signClientCsr,
} from "../../lib/pki/mod.ts";
import { AgentRegistry, type AgentRegistryOptions } from "../../lib/cell/registry.ts";
import {
  type AgentServer,
  type AgentServerOptions,
  startAgentServer,
} from "../../lib/cell/grpc_server.ts";
import type { AgentClient, AgentClientEvent, AgentCredentials } from "../../lib/agent/mod.ts";

/** A cell's PKI for tests. */
export interface TestPki {
  ca: CertificateAuthority;
  serverCert: { certPem: string; keyPem: string };
}

/** Options for {@linkcode issueAgent}. */
export interface IssueOptions {
  /** Signing CA; default the cell's. */
  ca?: CertificateAuthority;
  validityDays?: number;
  now?: Date;
}

/** A CA and a server certificate for `localhost`. */
export async function testPki(): Promise<TestPki> {
  const ca = await createCa({ commonName: "lattice-test-cell" });
  return { ca, serverCert: await issueServerCert(ca, { dnsNames: ["localhost"] }) };
}

/** Client credentials for `clusterName`, trusting `pki`'s CA. */
export async function issueAgent(
  pki: TestPki,
  clusterName: string,
  options: IssueOptions = {},
): Promise<AgentCredentials> {
  const { keys, privateKeyPem } = await generateKeyPair();
  const csr = await createCsr(keys, { commonName: clusterName });
  const certPem = await signClientCsr(options.ca ?? pki.ca, csr, {
    identity: clusterName,
    validityDays: options.validityDays,
    now: options.now,
  });
  return { caPem: pki.ca.certPem, certPem, keyPem: privateKeyPem };
}

/** A running cell for tests. */
export interface TestCell {
  registry: AgentRegistry;
  server: AgentServer;
  address: string;
  close(): Promise<void>;
}

/** Starts a registry and an agent server on a free port (or `port`). */
export async function startCell(
  pki: TestPki,
  options: Partial<AgentServerOptions> & { registryOptions?: AgentRegistryOptions } = {},
): Promise<TestCell> {
  const registry = options.registry ?? new AgentRegistry(options.registryOptions);
  const server = await startAgentServer({ ...pki, ...options, registry });
  return {
    registry,
    server,
    address: `localhost:${server.port}`,
    async close() {
      registry.close();
      await server.close(0);
    },
  };
}

/** Resolves with the client's next event of `type` (rejects after `timeoutMs`). */
export function nextEvent<T extends AgentClientEvent["type"]>(
  client: AgentClient,
  type: T,
  timeoutMs = 10_000,
): Promise<Extract<AgentClientEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.subscribe((event) => {
      if (event.type !== type) return;
      clearTimeout(timer);
      off();
      resolve(event as Extract<AgentClientEvent, { type: T }>);
    });
  });
}

/** Resolves once `registry` reports `clusterName` connected (rejects after `timeoutMs`). */
export function whenConnected(
  registry: AgentRegistry,
  clusterName: string,
  timeoutMs = 10_000,
): Promise<void> {
  if (registry.get(clusterName)?.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${clusterName} did not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = registry.subscribe((event) => {
      if (event.type === "connected" && event.info.clusterName === clusterName) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}
