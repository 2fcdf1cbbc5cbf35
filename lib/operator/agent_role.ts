/**
 * The agent role: when the cluster has a parent (the `lattice-agent` Secret written by
 * `lattice join` exists), keep one outbound mTLS stream to the parent cell. Commands are
 * handled by a table: status, the Kubernetes API proxy (executed impersonating the caller),
 * and the pivot's import side. Nothing on the cluster waits on this stream.
 */
import { AgentClient, defaultHandlers, kubernetesVersion, nodeHealth } from "../agent/mod.ts";
import type { AgentCredentials } from "../agent/rotation.ts";
import { AGENT_SECRET_KEYS, AGENT_SECRET_NAME, NAMESPACE } from "../bundle/names.ts";
import { getOrUndefined, type KubeClient, type KubeObject } from "../kube/mod.ts";
import type { Logger } from "../log/mod.ts";
import { pivotHandlers, PivotTarget } from "../pivot/mod.ts";
import { decodeBase64, encodeBase64 } from "../pki/ca_store.ts";
import {
  cancelProxyOnDisconnect,
  type NestedProxy,
  ProxyExecutor,
  proxyHandlers,
} from "../proxy/mod.ts";
import { SECRET_REF } from "../kube/refs.ts";
import { FleetReporter, type FleetState } from "../fleet/mod.ts";
import type { EventRecorder } from "../kube/mod.ts";
import { ChildReporter, specSyncHandlers } from "../childsync/agent.ts";
import { InheritedHash, registrationHandlers } from "../controllers/placement/handdown.ts";
import { unpivotHandlers } from "../pivot/unpivot_agent.ts";
import { FluxAgent, type FluxAgentOptions } from "../flux/mod.ts";

/** What the agent Secret holds. */
export interface AgentSecret {
  clusterName: string;
  endpoint: string;
  credentials: AgentCredentials;
}

function decode(value: string | undefined): string {
  return value === undefined ? "" : decodeBase64(value);
}

/** Reads the agent Secret; undefined when this cluster has no parent. */
export async function readAgentSecret(client: KubeClient): Promise<AgentSecret | undefined> {
  const secret = await getOrUndefined(() =>
    client.get<KubeObject & { data?: Record<string, string> }>(
      SECRET_REF,
      AGENT_SECRET_NAME,
      NAMESPACE,
    )
  );
  if (!secret) return undefined;
  const data = secret.data ?? {};
  const keyPem = decode(data[AGENT_SECRET_KEYS.privateKey]);
  if (!keyPem) {
    throw new Error(
      `Cannot start the agent: Secret ${NAMESPACE}/${AGENT_SECRET_NAME} has no private key ` +
        "(lattice join did not finish; re-run it)",
    );
  }
  return {
    clusterName: decode(data[AGENT_SECRET_KEYS.cluster]),
    endpoint: decode(data[AGENT_SECRET_KEYS.endpoint]),
    credentials: {
      caPem: decode(data[AGENT_SECRET_KEYS.caBundle]),
      certPem: decode(data[AGENT_SECRET_KEYS.certificate]),
      keyPem,
    },
  };
}

/** Options for {@linkcode startAgent}. */
export interface AgentRoleOptions {
  /** The parent cell's name (this cluster's `spec.cellRef`), for impersonation. */
  parentName: string;
  /** Handles nested `/clusters/{b}/...` requests when this cluster is a cell itself. */
  nested?: NestedProxy;
  heartbeatIntervalMs?: number;
  /** This cluster's subtree, reported to the parent (docs/fleet_view.md). */
  fleet?: FleetState;
  /** Records the Warning Event when a sync overwrites local edits. */
  recorder?: EventRecorder;
  /** Flux reporting and install timing (the sandbox shortens them). */
  flux?: Omit<FluxAgentOptions, "clusterName" | "logger">;
  logger: Logger;
}

/** A running agent. */
export interface Agent {
  client: AgentClient;
  stop(): Promise<void>;
}

/** Starts the outbound agent with its command table. */
export function startAgent(
  client: KubeClient,
  secret: AgentSecret,
  options: AgentRoleOptions,
): Agent {
  const log = options.logger.child({ role: "agent" });
  const health = () => nodeHealth(client);
  const fleetReporter = options.fleet
    ? new FleetReporter(options.fleet, { logger: log })
    : undefined;
  const executor = new ProxyExecutor(client, options.parentName, {
    nested: options.nested,
    logger: log,
  });
  const reporter = new ChildReporter(client, secret.clusterName, {
    intervalMs: Math.min(options.heartbeatIntervalMs ?? 30_000, 10_000),
    onChange: () => agent.heartbeatNow(),
    logger: log,
  });
  const unpivot = unpivotHandlers(client, { logger: log });
  // The registrations the parent hands down (docs/adr/registration-inheritance.md).
  const inherited = new InheritedHash();
  inherited.load(client).catch((error) =>
    log.warn("Cannot read inherited registrations", { error })
  );
  const flux = new FluxAgent(client, {
    ...options.flux,
    clusterName: secret.clusterName,
    logger: log,
  });
  const agent: AgentClient = new AgentClient({
    address: secret.endpoint,
    clusterName: secret.clusterName,
    credentials: secret.credentials,
    handlers: {
      ...defaultHandlers(health),
      ...proxyHandlers(executor),
      ...pivotHandlers(new PivotTarget(client)),
      fleetResync: (request) => fleetReporter?.resync(request.reason),
      ...specSyncHandlers(client, {
        recorder: options.recorder,
        onApplied: () => reporter.refresh(),
      }),
      ...unpivot.handlers,
      ...flux.handlers(),
      ...registrationHandlers(client, inherited, { onStored: () => agent.heartbeatNow() }),
    },
    heartbeatExtras: () => ({ ...reporter.extras(), registrationsHash: inherited.value }),
    health,
    kubernetesVersion: () => kubernetesVersion(client),
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    logger: log,
    onCredentials: async (credentials) => {
      await client.patch(SECRET_REF, AGENT_SECRET_NAME, {
        data: {
          [AGENT_SECRET_KEYS.certificate]: encodeBase64(credentials.certPem),
          [AGENT_SECRET_KEYS.privateKey]: encodeBase64(credentials.keyPem),
        },
      }, { namespace: NAMESPACE });
    },
  });
  cancelProxyOnDisconnect(agent, executor);
  agent.subscribe((event) => {
    if (event.type === "connected") fleetReporter?.connected((payload) => agent.send(payload));
    if (event.type === "disconnected") {
      fleetReporter?.disconnected();
      unpivot.disconnected();
    }
  });
  reporter.start();
  agent.start();
  flux.start((payload) => agent.send(payload));
  log.info("Agent started", { parent: secret.endpoint, cluster: secret.clusterName });
  return {
    client: agent,
    async stop() {
      fleetReporter?.stop();
      reporter.stop();
      await flux.stop();
      await agent.stop();
    },
  };
}
