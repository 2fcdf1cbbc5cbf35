/**
 * The CAPI simulator: plays Cluster API's controllers and machines for the objects Lattice
 * generates, on real local control planes. It is the ONLY simulated part of the sandbox and
 * the end-to-end tests; everything it talks to (apiservers, webhook, stream) is real.
 *
 * For each CAPI Cluster it finds (on any plane it watches) it:
 * - starts a real control plane as that cluster and installs Cluster API's CRDs into it
 *   (what `clusterctl init` would do), then watches that plane too — so after the pivot the
 *   child's own copy of its CAPI objects drives it;
 * - writes the `<name>-kubeconfig` Secret as CAPI does;
 * - marks the infrastructure cluster provisioned and the control plane initialized;
 * - runs the control plane's post-bootstrap commands on a simulated machine (so the real
 *   `lattice join` calls the real webhook);
 * - turns control-plane and MachineDeployment replicas into Machines and Ready Nodes, and
 *   versions into node versions, so scaling and upgrades are observable;
 * - on deletion (CAPI's finalizer present) tears the cluster's objects and plane down.
 *
 * Paused Clusters are skipped, as CAPI's controllers skip them during a move.
 */
import type { KubeObject, ResourceRef } from "../kube/mod.ts";
import { type ContractRef, patchStatusOf } from "./_capi_refs.ts";
import { hasFinalizer, KubeClient } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { type ControlPlane, startControlPlane } from "./control_plane.ts";
import { CLUSTER_API_CRD_SETS, CLUSTERCTL_CRD_SET } from "./crds.ts";
import { labelProviderCrds } from "./clusterctl.ts";
import { clusterStatus, infraClusterStatus } from "./capi_sim_status.ts";
import { type ClusterObjects, syncControlPlane, syncWorkers, teardown } from "./capi_sim_sync.ts";
import { ensureClusterSecrets } from "./capi_sim_secrets.ts";
import { ensureClusterOwner, ensureFinalizer, providerFinalizer } from "./capi_sim_objects.ts";
import { resourceForGroupKind } from "./_capi_refs.ts";
import { bootstrapMachine } from "./capi_sim_bootstrap.ts";
import { type OnClusterDeleted, teardownClusterProcesses } from "./capi_sim_teardown.ts";

/** CAPI's finalizer on Cluster objects; the simulator honours it like CAPI does. */
export const CAPI_CLUSTER_FINALIZER = "cluster.cluster.x-k8s.io";

/** Options for {@linkcode CapiSimulator}. */
export interface CapiSimulatorOptions {
  logger?: Logger;
  /** Starts the plane playing a new cluster; default: a real control plane + CAPI CRDs. */
  startPlane?: (name: string) => Promise<ControlPlane>;
  /** Pause between passes; default 500 ms. */
  intervalMs?: number;
  /** Clock for status timestamps. */
  now?: () => Date;
  /** Environment for post-bootstrap commands (e.g. PATH to a `lattice` shim). */
  env?: Record<string, string>;
  /** Called once per cluster when its plane is up (the sandbox starts its operator). */
  onClusterPlane?: (name: string, plane: ControlPlane) => void | Promise<void>;
  /** Called when a deleted cluster is torn down, before its plane stops. */
  onClusterDeleted?: OnClusterDeleted;
}

/** A cluster the simulator plays. */
export interface SimulatedCluster {
  name: string;
  plane: ControlPlane;
  client: KubeClient;
  /** State of the post-bootstrap commands on the first control-plane machine. */
  bootstrap: "pending" | "running" | "done" | "failed";
  /** Output of the post-bootstrap commands, once run. */
  bootstrapLog?: string;
}

/**
 * CRDs of what a new cluster runs before Lattice joins: Cluster API and its providers
 * (`clusterctl init`) and Cilium (the CNI, whose LB-IPAM objects the bundle creates).
 */
export const CLUSTER_PLANE_CRD_SETS: readonly string[] = [
  ...CLUSTER_API_CRD_SETS,
  CLUSTERCTL_CRD_SET,
  "cilium-v1.19.4",
];

/** Default plane start: a real control plane with Cluster API's and Cilium's CRDs. */
export async function startClusterPlane(name: string): Promise<ControlPlane> {
  const plane = await startControlPlane({ name, crds: { upstream: [...CLUSTER_PLANE_CRD_SETS] } });
  try {
    await labelProviderCrds(plane.kubeconfig);
  } catch (error) {
    await plane.stop();
    throw error;
  }
  return plane;
}

/** Plays Cluster API for every CAPI Cluster on the planes it watches. */
export class CapiSimulator {
  readonly #log: Logger;
  readonly #opts: CapiSimulatorOptions;
  readonly #planes = new Map<string, KubeClient>();
  readonly #clusters = new Map<string, SimulatedCluster>();
  readonly #starting = new Map<string, Promise<SimulatedCluster>>();
  #loop?: Promise<void>;
  #stopped = false;
  #wake?: () => void;

  constructor(options: CapiSimulatorOptions = {}) {
    this.#opts = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "capi-simulator" });
  }

  /** Watches the CAPI objects on a plane (a cell's plane, or a pivoted child's). */
  watchPlane(name: string, client: KubeClient): void {
    this.#planes.set(name, client);
  }

  /** Stops watching a plane (e.g. the bootstrap plane after it is deleted). */
  unwatchPlane(name: string): void {
    this.#planes.delete(name);
  }

  /** The clusters played so far, by name. */
  get clusters(): ReadonlyMap<string, SimulatedCluster> {
    return this.#clusters;
  }

  /** Starts the background loop. */
  start(): void {
    if (this.#loop) return;
    this.#loop = (async () => {
      while (!this.#stopped) {
        await this.tick().catch((error) => this.#log.warn("Simulator pass failed", { error }));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#opts.intervalMs ?? 500);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    })();
  }

  /** Stops the loop and every plane the simulator started. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#starting.values()]);
    for (const cluster of this.#clusters.values()) {
      cluster.client.close();
      await cluster.plane.stop();
    }
    this.#clusters.clear();
    for (const client of this.#planes.values()) client.close();
    this.#planes.clear();
  }

  /** One pass over every watched plane. Public so tests can step it. */
  async tick(): Promise<void> {
    for (const [planeName, client] of [...this.#planes]) {
      let ref: ResourceRef;
      try {
        ref = await client.resourceFor("cluster.x-k8s.io/v1beta2", "Cluster");
      } catch {
        continue; // Cluster API is not installed there (yet).
      }
      const list = await client.list<KubeObject>(ref).catch((error) => {
        this.#log.debug("Cannot list Clusters", { plane: planeName, error });
        return { items: [] as KubeObject[] };
      });
      for (const capi of list.items) {
        await this.#reconcile(client, ref, capi).catch((error) =>
          this.#log.warn("Cannot simulate cluster", {
            plane: planeName,
            cluster: capi.metadata?.name,
            error,
          })
        );
      }
    }
  }

  async #reconcile(client: KubeClient, ref: ResourceRef, capi: KubeObject): Promise<void> {
    const name = capi.metadata?.name ?? "";
    const namespace = capi.metadata?.namespace ?? "default";
    const spec = (capi.spec ?? {}) as Record<string, unknown>;
    if (capi.metadata?.deletionTimestamp) {
      if (!hasFinalizer(capi, CAPI_CLUSTER_FINALIZER)) return;
      this.#log.info("Deleting simulated cluster", { cluster: name });
      await teardown(client, namespace, name, capi);
      await teardownClusterProcesses(this.#clusters, this.#planes, name, {
        onClusterDeleted: this.#opts.onClusterDeleted,
        logger: this.#log,
      });
      const rest = (capi.metadata.finalizers ?? []).filter((f) => f !== CAPI_CLUSTER_FINALIZER);
      await client.patch(ref, name, {
        metadata: { finalizers: rest, resourceVersion: capi.metadata.resourceVersion },
      }, { namespace });
      return;
    }
    if (spec.paused === true) return;
    if (!hasFinalizer(capi, CAPI_CLUSTER_FINALIZER)) {
      await client.patch(ref, name, {
        metadata: {
          finalizers: [...(capi.metadata?.finalizers ?? []), CAPI_CLUSTER_FINALIZER],
          resourceVersion: capi.metadata?.resourceVersion,
        },
      }, { namespace });
    }
    const sim = await this.#ensureCluster(name);
    // Conditions carry the Cluster's creation time: a fresh timestamp on every pass would
    // change the status each time and wake every watcher for nothing.
    const created = capi.metadata?.creationTimestamp;
    const now = this.#opts.now?.() ?? (created ? new Date(created) : new Date());
    const infraRef = spec.infrastructureRef as { apiGroup?: string; kind?: string; name?: string };
    if (infraRef?.apiGroup && infraRef.kind && infraRef.name) {
      const infraType = await resourceForGroupKind(client, infraRef.apiGroup, infraRef.kind);
      const infra = await client.get<KubeObject>(infraType, infraRef.name, namespace);
      await ensureFinalizer(client, infra, providerFinalizer(infraRef.kind, infraRef.apiGroup));
      await ensureClusterOwner(client, infra, capi);
      await patchStatusOf(client, infraRef, namespace, infraClusterStatus(now, infraRef.kind));
    }
    const objects: ClusterObjects = {
      client,
      namespace,
      cluster: name,
      node: sim.client,
      now,
      capi,
    };
    const cp = await syncControlPlane(objects, spec.controlPlaneRef as ContractRef | undefined);
    // KCP writes the certificates and the kubeconfig; without a control plane the Cluster
    // owns its kubeconfig.
    await ensureClusterSecrets(client, capi, cp.kcp ?? capi, sim.plane);
    if (cp.kcp && sim.bootstrap === "pending") this.#bootstrap(sim, client, cp.kcp, namespace);
    const workers = await syncWorkers(objects);
    await client.patchStatus(ref, name, namespace, {
      status: clusterStatus(
        { controlPlane: cp.replicas, workers, generation: capi.metadata?.generation },
        now,
      ),
    });
  }

  #bootstrap(sim: SimulatedCluster, client: KubeClient, kcp: KubeObject, ns: string): void {
    sim.bootstrap = "running";
    bootstrapMachine({
      management: client,
      controlPlane: kcp,
      namespace: ns,
      plane: sim.plane,
      logger: this.#log.child({ cluster: sim.name }),
      env: this.#opts.env,
    }).then((result) => {
      sim.bootstrap = result.ok ? "done" : "failed";
      sim.bootstrapLog = result.log;
      if (!result.ok) {
        this.#log.error("Post-bootstrap commands failed on the simulated machine", {
          cluster: sim.name,
          command: result.failedCommand,
          log: result.log.slice(-2000),
        });
      }
    }, (error) => {
      sim.bootstrap = "failed";
      sim.bootstrapLog = String(error);
      this.#log.error("Cannot run post-bootstrap commands", { cluster: sim.name, error });
    });
  }

  #ensureCluster(name: string): Promise<SimulatedCluster> {
    const existing = this.#clusters.get(name);
    if (existing) return Promise.resolve(existing);
    let starting = this.#starting.get(name);
    if (!starting) {
      starting = (async () => {
        this.#log.info("Starting a real control plane for simulated cluster", { cluster: name });
        const plane = await (this.#opts.startPlane ?? startClusterPlane)(name);
        const sim: SimulatedCluster = {
          name,
          plane,
          client: KubeClient.fromKubeconfig(plane.kubeconfig),
          bootstrap: "pending",
        };
        this.#clusters.set(name, sim);
        this.#planes.set(name, KubeClient.fromKubeconfig(plane.kubeconfig));
        await this.#opts.onClusterPlane?.(name, plane);
        return sim;
      })().finally(() => this.#starting.delete(name));
      this.#starting.set(name, starting);
    }
    return starting;
  }
}
