/**
 * The Lattice operator process: which roles this cluster plays, decided from what is in
 * its own API server, and the controllers that run under them.
 *
 * - operator (always): reconciles the cluster's OWN LatticeCluster (self mode);
 * - cell (own LatticeCluster has `spec.cell.enabled`, or `bootstrapCell`): serves the
 *   webhook, proxy and agent gRPC server, and reconciles children (cell mode);
 * - agent (the `lattice-agent` Secret exists): one outbound stream to the parent.
 */
import { isCellSpec } from "../api/mod.ts";
import {
  clusterController,
  type ClusterObject,
  LATTICE_CLUSTER_REF,
} from "../controllers/cluster/mod.ts";
import { meshControllers } from "../controllers/service/mod.ts";
import { placementsWithHandDown } from "../controllers/placement/operator.ts";
import { EventRecorder, getOrUndefined, type KubeClient, NODE_REF } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { BinarySource } from "../cell/webhook_binary.ts";
import type { CellLimits } from "../cell/limits.ts";
import type { RuntimeMetrics } from "../runtime/mod.ts";
import { type Cell, startCell } from "./cell_role.ts";
import { type Agent, readAgentSecret, startAgent } from "./agent_role.ts";
import { runOperator, type RunOperatorOptions } from "./run.ts";
import { type FleetNode, startFleet } from "../fleet/mod.ts";
import { type CellFluxSource, SelfFlux } from "../flux/mod.ts";

/** Flux settings of {@linkcode runLattice}. */
export interface LatticeFluxOptions {
  /** The repository a cell without a Flux of its own (bootstrap) hands its child. */
  source?: CellFluxSource;
  /** How often Flux state is read and children are checked (ms). */
  pollMs?: number;
  /** How long new Flux controllers get to become available (ms). */
  healthTimeoutMs?: number;
}

/** Options for {@linkcode runLattice}. */
export interface LatticeOptions {
  /** This cluster's name; default: from the agent Secret, else required. */
  clusterName?: string;
  /**
   * Act as a cell without an own LatticeCluster (the bootstrap cluster of `lattice
   * install` and of the sandbox).
   */
  bootstrapCell?: boolean;
  /**
   * Overrides the cell host children dial (default `spec.cell.host`, else `nodeName`); a
   * function chooses from `spec.cell.host` (the sandbox keeps loopback addresses only).
   */
  cellHost?: string | ((specHost: string | undefined) => string);
  /**
   * Name of the node this pod runs on (`NODE_NAME`): the host a cell advertises when
   * neither `cellHost` nor `spec.cell.host` is set. On kind/CAPD a node's name is its Docker
   * container's name, which Docker's DNS resolves on the kind network.
   */
  nodeName?: string;
  /** Image children run (`LATTICE_IMAGE`: this pod's own); default the release image. */
  image?: string;
  /** HTTPS port (webhook, proxy); default `spec.cell.ports.https` or 8443; 0 = any. */
  httpsPort?: number;
  /** gRPC port; default `spec.cell.ports.grpc` or 50051; 0 = any. */
  grpcPort?: number;
  /** What the cell serves as the lattice binary. */
  binary?: BinarySource;
  /** Agent heartbeat interval; default 30 s. */
  heartbeatIntervalMs?: number;
  /** Flux: the repository a bootstrap cell hands its child, and timing (sandbox, install). */
  flux?: LatticeFluxOptions;
  /** Port of /healthz, /readyz, /metrics; default 8080; 0 = any. */
  metricsPort?: number;
  /**
   * Address every listener binds (cell HTTPS and gRPC, probes and metrics); default
   * 0.0.0.0. A function chooses from the host the cell advertises (the sandbox: loopback).
   */
  bindAddress?: string | ((cellHost: string) => string);
  /** The cell's connection, rate, body and renewal limits (lib/cell/limits.ts). */
  cellLimits?: CellLimits;
  leaderElection?: RunOperatorOptions["leaderElection"];
  metrics?: RuntimeMetrics;
  logger?: Logger;
  /** Called when a leadership term's roles are up (the cell's URL, when a cell). */
  onReady?: (roles: { cell?: Cell; agent?: Agent }) => void;
  signal: AbortSignal;
}

/** Names of the cluster's nodes (empty when they cannot be read). */
async function nodeNames(client: KubeClient, log: Logger): Promise<string[]> {
  try {
    const nodes = await client.list<{ metadata?: { name?: string } }>(NODE_REF);
    return nodes.items.map((n) => n.metadata?.name ?? "").filter(Boolean);
  } catch (error) {
    log.warn("Cannot list nodes for the cell's certificate", { error });
    return [];
  }
}

/** Runs the operator with every role this cluster plays until `signal` aborts. */
export async function runLattice(client: KubeClient, options: LatticeOptions): Promise<void> {
  const log = options.logger ?? silentLogger;
  const secret = await readAgentSecret(client);
  const name = options.clusterName ?? secret?.clusterName;
  if (!name) {
    throw new Error(
      "Cannot start the operator: this cluster's name is unknown " +
        "(no lattice-agent Secret; pass --cluster-name or LATTICE_CLUSTER_NAME)",
    );
  }
  const own = await getOrUndefined(() => client.get<ClusterObject>(LATTICE_CLUSTER_REF, name));
  const recorder = new EventRecorder(client, { component: "lattice.dev/operator", logger: log });
  const cellSpec = own?.spec.cell;
  const isCell = options.bootstrapCell === true || isCellSpec(own?.spec);
  log.info("Operator roles", { cluster: name, cell: isCell, agent: !!secret });
  // The cell's servers and the agent stream follow leadership: the agent registry is per
  // process, and two replicas must never both hold a stream to the parent.
  let previousTerm: Promise<void> = Promise.resolve();
  const startTerm = async (signal: AbortSignal) => {
    await previousTerm;
    let cell: Cell | undefined;
    let agent: Agent | undefined;
    if (isCell) {
      const override = typeof options.cellHost === "function"
        ? options.cellHost(cellSpec?.host)
        : options.cellHost;
      const byNode = !override && !cellSpec?.host && !!options.nodeName;
      const host = override ?? cellSpec?.host ?? options.nodeName ?? "localhost";
      cell = await startCell(client, {
        name,
        signal,
        host,
        bindAddress: typeof options.bindAddress === "function"
          ? options.bindAddress(host)
          : options.bindAddress,
        // A NodePort cell named by its node answers on every node: after a failover,
        // children that dial the previous leader's node still match the certificate.
        altNames: byNode ? await nodeNames(client, log) : undefined,
        bundle: options.image ? { image: options.image } : undefined,
        httpsPort: options.httpsPort ?? cellSpec?.ports?.https ?? 8443,
        grpcPort: options.grpcPort ?? cellSpec?.ports?.grpc ?? 50051,
        binary: options.binary,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        limits: options.cellLimits,
        bootstrapCell: options.bootstrapCell,
        flux: {
          bootstrap: options.bootstrapCell === true,
          source: options.flux?.source,
          pollMs: options.flux?.pollMs,
        },
        recorder,
        logger: log,
      });
    }
    // A leaf reports only itself; a cell reports its whole subtree.
    let leafFleet: FleetNode | undefined;
    if (secret) {
      leafFleet = cell ? undefined : startFleet(client, {
        name,
        intervalMs: options.heartbeatIntervalMs,
        logger: log,
      });
      agent = startAgent(client, secret, {
        parentName: own?.spec.cellRef ?? "parent",
        nested: cell?.nested,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        fleet: (cell?.fleet ?? leafFleet)?.state,
        recorder,
        flux: { pollMs: options.flux?.pollMs, healthTimeoutMs: options.flux?.healthTimeoutMs },
        logger: log,
      });
    }
    // Without a parent, nobody sends this cluster Flux commands: it keeps its own.
    const selfFlux = !secret && !options.bootstrapCell
      ? new SelfFlux(client, {
        clusterName: name,
        pollMs: options.flux?.pollMs,
        healthTimeoutMs: options.flux?.healthTimeoutMs,
        logger: log,
      })
      : undefined;
    selfFlux?.start();
    const ended = Promise.withResolvers<void>();
    previousTerm = ended.promise;
    const endTerm = () => {
      (async () => {
        await selfFlux?.stop();
        await agent?.stop();
        leafFleet?.stop();
        await cell?.stop();
      })().catch((error) => log.warn("Cannot stop the term's roles", { error }))
        .finally(() => ended.resolve());
    };
    // A term that ended (SIGTERM, lost lease) while its roles were starting ends now: an
    // abort listener added after the abort never fires, and shutdown would wait for ever.
    if (signal.aborted) endTerm();
    else signal.addEventListener("abort", endTerm, { once: true });
    options.onReady?.({ cell, agent });
    return cell;
  };
  try {
    await runOperator(client, {
      controllers: async ({ logger, metrics, signal }) => {
        const cell = await startTerm(signal);
        return [
          clusterController(client, {
            selfName: name,
            cell: cell?.identity,
            tokens: cell?.tokens,
            pivot: cell?.pivot,
            child: cell?.child,
            // The bootstrap cell of `lattice install` provisions the root, which has no cellRef.
            provisionUnparented: options.bootstrapCell === true,
            recorder,
            logger,
            controller: { metrics },
          }),
          // The service mesh runs on every cluster (docs/mesh.md).
          ...meshControllers(client, { selfName: name, recorder, logger, metrics, signal })
            .controllers,
          // Placements run on every cluster; a cell hands registrations down (docs/placements.md).
          ...placementsWithHandDown(client, cell?.registry, {
            selfName: name,
            recorder,
            logger,
            metrics,
            signal,
          }),
        ];
      },
      logger: log,
      metrics: options.metrics,
      port: options.metricsPort ?? 8080,
      hostname: typeof options.bindAddress === "function"
        ? options.bindAddress("localhost")
        : options.bindAddress,
      standbyReady: !isCell && !secret,
      leaderElection: options.leaderElection,
      signal: options.signal,
    });
  } finally {
    await previousTerm;
  }
}
