/**
 * The cell role: everything a cluster with `spec.cell` (or the bootstrap cell) serves to its
 * children — the bootstrap webhook and the Kubernetes API proxy on one HTTPS port, the agent
 * gRPC server, the agent registry mirrored into LatticeCluster status — and the hooks the
 * cluster controller needs in cell mode (identity, bootstrap tokens, pivot hand-off).
 */
import { isIP } from "node:net";
import { Hono } from "hono";
import { AgentRegistry } from "../cell/registry.ts";
import { AgentStatusWriter } from "../cell/registry_status.ts";
import { type AgentServer, startAgentServer } from "../cell/grpc_server.ts";
import { createWebhookApp } from "../cell/webhook.ts";
import { serveHttps } from "../cell/webhook_server.ts";
import { clusterLookup } from "../cell/webhook_clusters.ts";
import { LivingClusters } from "../cell/living.ts";
import { RevocationList, revokeClusterCertificates } from "../cell/revocation.ts";
import { cacheRefusals } from "../cell/admission_cache.ts";
import type { CellLimits } from "../cell/limits.ts";
import { BodyBudget } from "../proxy/body.ts";
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
  ClusterUnavailableError,
  type NestedProxy,
  nestedProxy,
  proxyApp,
  StreamTransport as ProxyStreamTransport,
} from "../proxy/mod.ts";
import { subjectAccessReviewAuthorizer, tokenReviewAuthenticator } from "../proxy/auth.ts";
import { accessReviewViewAuthorizer, fleetApp, type FleetNode, startFleet } from "../fleet/mod.ts";
import { type CellChildLink, createChildLink, type RevokeAgent } from "../childsync/link.ts";
import { ChildStatusWriter } from "../childsync/cell.ts";
import { PivotTarget } from "../pivot/target.ts";
import { UnpivotReceiver } from "../pivot/unpivot_cell.ts";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";
import { FORGET_ANNOTATION } from "../controllers/cluster/unpivot.ts";
import { CellFluxSync, type CellFluxSyncOptions } from "../flux/mod.ts";
import { readCellComponents, readOpenstackCloudConf } from "../providers/mod.ts";

/** Options for {@linkcode startCell}. */
export interface CellOptions {
  /** This cell's cluster name (the identity children's cellRef names). */
  name: string;
  /** The leadership term: its end aborts running pivots at once. */
  signal?: AbortSignal;
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
  /** Connection, rate, body and renewal limits; see lib/cell/limits.ts for the defaults. */
  limits?: CellLimits;
  /** The bootstrap cell (no LatticeCluster of its own; unparented clusters are its children). */
  bootstrapCell?: boolean;
  /** Revokes a forgotten child's agent certificate; default revokeClusterCertificates. */
  revokeAgent?: RevokeAgent;
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
  /** Link to pivoted children: spec down, status up, unpivot. */
  child: CellChildLink;
  /** Forwards proxied requests that arrived over this cell's own agent to its children. */
  nested: NestedProxy;
  /** The fleet below this cell (docs/fleet_view.md); its page is served at `/fleet/`. */
  fleet: FleetNode;
  /** Carries proxied requests to children (its open requests and bodies can be counted). */
  proxyTransport: ProxyStreamTransport;
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
  // An IP host is an IP SAN; "localhost" is always a DNS SAN (agents dialling an IP name
  // it for the handshake, then check the IP SAN: lib/agent/ip_identity.ts).
  const names = [...new Set([options.host, ...(options.altNames ?? []), "localhost"])];
  const serving = await issueServerCert(ca, {
    dnsNames: names.filter((n) => isIP(n) === 0),
    ipAddresses: names.filter((n) => isIP(n) !== 0),
  });
  const registry = new AgentRegistry({
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    logger: log,
  });
  registry.start();
  const statusWriter = new AgentStatusWriter(client, { recorder: options.recorder, logger: log });
  const detach = statusWriter.attach(registry);
  // Only a living, unrevoked cluster's certificate connects or renews (docs/security.md).
  const living = new LivingClusters(client);
  const revocations = new RevocationList(client);
  // Refusals are reused for 5 s: a revoked agent's reconnect loop costs one check per 5 s.
  const admit = cacheRefusals(async (identity: string, certPem: string) => {
    if (await revocations.isRevoked(identity, certPem)) return "the certificate is revoked";
    if (!(await living.has(identity, { fresh: true }))) {
      return `no living LatticeCluster ${identity} on this cell`;
    }
    return undefined;
  });
  const grpc: AgentServer = await startAgentServer({
    ca,
    serverCert: serving,
    registry,
    admit,
    renewalWindowMs: options.limits?.renewalWindowMs,
    renewalIntervalMs: options.limits?.renewalIntervalMs,
    recheckIntervalMs: options.limits?.admissionRecheckMs,
    admission: options.limits?.agentAdmission,
    portLimits: options.limits?.agentPort,
    host: options.bindAddress ?? "0.0.0.0",
    port: options.grpcPort,
    logger: log,
  });
  const hostPart = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  const grpcEndpoint = `${hostPart}:${grpc.port}`;
  const issuer = new BootstrapTokens(new SecretTokenBackend(client));
  const proxyTransport = new ProxyStreamTransport(registry);
  // A living cluster answers 503 while its agent is away; a cluster that does not live
  // (never created, or deleted while its stream is still open) answers 404.
  const clusterExists = (cluster: string) => living.has(cluster);
  const webhook = createWebhookApp({
    ca,
    tokens: issuer,
    clusters: clusterLookup(client),
    grpcEndpoint,
    binary: options.binary,
    bundle: options.bundle,
    cniManifests: () => readCniManifests(client),
    capiComponents: (cluster) => readCellComponents(client, cluster.spec),
    openstackCloudConf: (cluster) => readOpenstackCloudConf(client, cluster),
    rateLimit: options.limits?.webhookRate,
    logger: log,
  });
  const authorizer = subjectAccessReviewAuthorizer(client);
  const authenticator = tokenReviewAuthenticator(client);
  const proxy = proxyApp({
    transport: proxyTransport,
    authenticator,
    authorizer,
    clusterExists,
    rateLimit: options.limits?.proxyRate,
    authFailureLimit: options.limits?.authFailureRate,
    maxBodyBytes: options.limits?.maxBodyBytes,
    bodyBudget: new BodyBudget({ maxBytes: options.limits?.bodyBudgetBytes }),
    logger: log,
  });
  const fleet = startFleet(client, {
    name: options.name,
    bootstrapCell: options.bootstrapCell,
    registry,
    intervalMs: options.heartbeatIntervalMs,
    logger: log,
  });
  let url = "";
  const page = fleetApp({
    state: fleet.state,
    authenticator,
    authorizer: accessReviewViewAuthorizer(client),
    cellUrl: () => url,
    caPem: ca.certPem,
    logger: log,
  });
  const app = new Hono();
  app.route("/", page.app);
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
    limits: options.limits?.connections,
    signal: stop.signal,
    // A proxied body cut because its cluster went away, or by this cell's own shutdown
    // (open watches end then), is the expected end of that request, not a failure.
    onError: (error) => {
      if (stop.signal.aborted) log.debug("Response ended by shutdown", { error });
      else if (error instanceof ClusterUnavailableError) {
        log.info("Proxied response cut: its cluster went away", { error });
      } else log.error("Unhandled error in the HTTPS server", { error });
    },
    onListen: ({ port }) => {
      httpsPort = port;
      listening.resolve();
    },
  });
  await listening.promise;
  url = `https://${hostPart}:${httpsPort}`;
  const handoff = createPivotHandoff({
    client,
    // The end of the term (options.signal) stops running pivots at once, not after drain.
    signal: options.signal ? AbortSignal.any([stop.signal, options.signal]) : stop.signal,
    transportFor: (cluster) =>
      registry.get(cluster)?.connected ? new PivotStreamTransport(registry, cluster) : undefined,
    logger: log,
  });
  const child = createChildLink({
    registry,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    // A forgotten child (lattice.dev/forget) is revoked like a deleted one.
    revokeAgent: options.revokeAgent ?? ((name) => revokeClusterCertificates(client, name)),
    logger: log,
  });
  const childStatus = new ChildStatusWriter(client, {
    refreshMs: options.heartbeatIntervalMs ?? 30_000,
    logger: log,
  });
  const detachChildStatus = childStatus.attach(registry);
  const detachUnpivot = new UnpivotReceiver({
    target: new PivotTarget(client, { logger: log }),
    allowed: async (cluster) => {
      const copy = await getOrUndefined(() =>
        client.get<
          { metadata?: { deletionTimestamp?: string; annotations?: Record<string, string> } }
        >(
          LATTICE_CLUSTER_REF,
          cluster,
        )
      );
      return !!copy?.metadata?.deletionTimestamp &&
        copy.metadata.annotations?.[FORGET_ANNOTATION] !== "true";
    },
    logger: log,
  }).attach(registry);
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
    child,
    nested: nestedProxy({ transport: proxyTransport, authorizer, clusterExists, logger: log }),
    fleet,
    proxyTransport,
    async stop() {
      page.hub.close();
      fleet.stop();
      await fluxSync.stop();
      stop.abort();
      // Open proxied watches would hold the server's graceful shutdown for ever: end them
      // first (clients re-watch through the next leader), as the fleet page's SSE above.
      proxyTransport.close();
      await https.finished;
      await handoff.idle();
      detach();
      detachChildStatus();
      detachUnpivot();
      // Writes already under way finish while the apiserver and the client are still there
      // (the operator closes its client once this returns): a status write cut by our own
      // shutdown would read as a failure.
      await Promise.all([statusWriter.flush(), childStatus.flush()]);
      child.close();
      registry.close();
      await grpc.close(1_000);
    },
  };
}
