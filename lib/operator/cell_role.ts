/**
 * The cell role: everything a cluster with `spec.cell` (or the bootstrap cell) serves to its
 * children — the bootstrap webhook and the Kubernetes API proxy on one HTTPS port, the agent
 * gRPC server, the agent registry mirrored into LatticeCluster status — and the hooks the
 * cluster controller needs in cell mode (identity, bootstrap tokens, pivot hand-off).
 */
import { Hono } from "hono";
import { AgentRegistry } from "../cell/registry.ts";
import { AgentStatusWriter } from "../cell/registry_status.ts";
import { type AgentServer, startAgentServer } from "../cell/grpc_server.ts";
import { createWebhookApp } from "../cell/webhook.ts";
import { serveHttps } from "../cell/webhook_server.ts";
import { clusterLookup } from "../cell/webhook_clusters.ts";
import type { BinarySource } from "../cell/webhook_binary.ts";
import { type BundleOptions, CNI_CONFIGMAP, NAMESPACE } from "../bundle/mod.ts";
import type {
  BootstrapTokens as ControllerTokens,
  CellIdentity,
  PivotHandoff,
} from "../controllers/cluster/mod.ts";
import { secretBootstrapTokens } from "../controllers/cluster/mod.ts";
import {
  CONFIGMAP_REF,
  EventRecorder,
  getOrUndefined,
  isAlreadyExists,
  type KubeClient,
} from "../kube/mod.ts";
import type { Logger } from "../log/mod.ts";
import {
  BootstrapTokens,
  issueServerCert,
  loadOrCreateCa,
  SecretTokenBackend,
} from "../pki/mod.ts";
import { createPivotHandoff, StreamTransport as PivotStreamTransport } from "../pivot/mod.ts";
import {
  type NestedProxy,
  nestedProxy,
  proxyApp,
  StreamTransport as ProxyStreamTransport,
} from "../proxy/mod.ts";
import { subjectAccessReviewAuthorizer, tokenReviewAuthenticator } from "../proxy/auth.ts";
import { CellFluxSync, type CellFluxSyncOptions } from "../flux/mod.ts";

/** Options for {@linkcode startCell}. */
export interface CellOptions {
  /** This cell's cluster name (the identity children's cellRef names). */
  name: string;
  /** Host children dial (DNS name; `localhost` in the sandbox). */
  host: string;
  /** HTTPS port of the webhook and proxy; 0 picks a free one. */
  httpsPort: number;
  /** gRPC port of the agent server; 0 picks a free one. */
  grpcPort: number;
  /** Address both servers bind; default 0.0.0.0 (in a pod, the host is the node's). */
  bindAddress?: string;
  /** More DNS names for the serving certificate (other nodes a NodePort cell answers on). */
  altNames?: string[];
  /** Options of the bundle children install (the image they run). */
  bundle?: BundleOptions;
  /** What GET /api/lattice/binary serves. */
  binary?: BinarySource;
  /** Agent heartbeat interval the registry expects; default 30 s. */
  heartbeatIntervalMs?: number;
  /** Flux for children: the bootstrap source and timing (see CellFluxSync). */
  flux?: Omit<CellFluxSyncOptions, "selfName" | "logger">;
  recorder: EventRecorder;
  logger: Logger;
}

/** A running cell. */
export interface Cell {
  /** The webhook/proxy base URL children and people use. */
  url: string;
  /** `host:port` of the agent gRPC server. */
  grpcEndpoint: string;
  /** The CA children pin. */
  caPem: string;
  registry: AgentRegistry;
  /** Controller hooks for cell mode. */
  identity: CellIdentity;
  tokens: ControllerTokens;
  pivot: PivotHandoff;
  /** Forwards proxied requests that arrived over this cell's own agent to its children. */
  nested: NestedProxy;
  stop(): Promise<void>;
}

async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

/** The manifests of the cell's `lattice-cni` ConfigMap, when it has one. */
export async function readCniManifests(client: KubeClient): Promise<string | undefined> {
  const cm = await getOrUndefined(() =>
    client.get<{ data?: Record<string, string> }>(CONFIGMAP_REF, CNI_CONFIGMAP.name, NAMESPACE)
  );
  return cm?.data?.[CNI_CONFIGMAP.key] || undefined;
}

/** Starts the cell's servers; stop() closes them. */
export async function startCell(client: KubeClient, options: CellOptions): Promise<Cell> {
  const log = options.logger.child({ role: "cell" });
  await ensureNamespace(client, "lattice-system");
  const ca = await loadOrCreateCa(client, { commonName: `lattice-cell-${options.name}` });
  const dnsNames = [...new Set([options.host, ...(options.altNames ?? []), "localhost"])];
  const serving = await issueServerCert(ca, { dnsNames });
  const registry = new AgentRegistry({
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    logger: log,
  });
  registry.start();
  const statusWriter = new AgentStatusWriter(client, { recorder: options.recorder, logger: log });
  const detach = statusWriter.attach(registry);
  const grpc: AgentServer = await startAgentServer({
    ca,
    serverCert: serving,
    registry,
    host: options.bindAddress ?? "0.0.0.0",
    port: options.grpcPort,
    logger: log,
  });
  const grpcEndpoint = `${options.host}:${grpc.port}`;
  const issuer = new BootstrapTokens(new SecretTokenBackend(client));
  const proxyTransport = new ProxyStreamTransport(registry, {
    // A cluster whose agent ever connected is known: 503 while it is away, 404 otherwise.
    isKnown: (cluster) => registry.get(cluster) !== undefined,
  });
  const webhook = createWebhookApp({
    ca,
    tokens: issuer,
    clusters: clusterLookup(client),
    grpcEndpoint,
    binary: options.binary,
    bundle: options.bundle,
    cniManifests: () => readCniManifests(client),
    logger: log,
  });
  const authorizer = subjectAccessReviewAuthorizer(client);
  const proxy = proxyApp({
    transport: proxyTransport,
    authenticator: tokenReviewAuthenticator(client),
    authorizer,
    logger: log,
  });
  const app = new Hono();
  app.route("/", proxy);
  app.route("/", webhook);
  const stop = new AbortController();
  let httpsPort = options.httpsPort;
  const listening = Promise.withResolvers<void>();
  const https = serveHttps(app, {
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    port: options.httpsPort,
    hostname: options.bindAddress ?? "0.0.0.0",
    signal: stop.signal,
    onListen: ({ port }) => {
      httpsPort = port;
      listening.resolve();
    },
  });
  await listening.promise;
  const url = `https://${options.host}:${httpsPort}`;
  const handoff = createPivotHandoff({
    client,
    transportFor: (cluster) =>
      registry.get(cluster)?.connected ? new PivotStreamTransport(registry, cluster) : undefined,
    logger: log,
  });
  const fluxSync = new CellFluxSync(client, registry, {
    bootstrap: false,
    ...options.flux,
    selfName: options.name,
    logger: log,
  });
  fluxSync.start();
  log.info("Cell serving", { url, grpcEndpoint });
  return {
    url,
    grpcEndpoint,
    caPem: ca.certPem,
    registry,
    identity: { url, caBundlePem: ca.certPem },
    tokens: secretBootstrapTokens(client, issuer),
    pivot: (cluster) => handoff.handoff(cluster),
    nested: nestedProxy({ transport: proxyTransport, authorizer, logger: log }),
    async stop() {
      await fluxSync.stop();
      stop.abort();
      await https.finished;
      await handoff.idle();
      proxyTransport.close();
      detach();
      registry.close();
      await grpc.close(1_000);
    },
  };
}
