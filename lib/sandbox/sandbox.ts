/**
 * `lattice sandbox`: a local fleet on real local control planes. A bootstrap plane runs a
 * real operator as a cell; the CAPI simulator (the only simulated part) plays Cluster API
 * and the machines; the real webhook, join, stream and pivot do the rest.
 */
import type { LatticeClusterInput } from "../api/mod.ts";
import { DEPLOYMENT_REF, KubeClient, type KubeObject } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { type ControlPlane, startControlPlane } from "./control_plane.ts";
import { CLUSTER_API_CRD_SETS, CLUSTERCTL_CRD_SET } from "./crds.ts";
import { labelProviderCrds } from "./clusterctl.ts";
import { CapiSimulator } from "./capi_simulator.ts";
import type { LatticeFluxOptions } from "../operator/lattice.ts";
import { type SandboxGitops, SandboxGitopsRuntime } from "./sandbox_gitops.ts";
import {
  type ClusterRow,
  formatTransition,
  PhaseTracker,
  renderTree,
  timeline,
} from "./sandbox_progress.ts";

export { parseClusters } from "../api/mod.ts";

/** Name of the sandbox's first cell (the `lattice install` bootstrap cluster's role). */
export const BOOTSTRAP_CELL = "bootstrap";

/** A running operator, as the sandbox starts it (in-process, one per plane). */
export interface OperatorHandle {
  /** The bootstrap webhook URL when this operator is a cell. */
  cellUrl?: string;
  /** The CA of the cell's serving certificate, when this operator is a cell. */
  caPem?: string;
  stop(): Promise<void>;
}

/** What the sandbox hands the operator it starts for a plane. */
export interface StartOperatorRequest {
  /** The cluster the operator runs on. */
  name: string;
  plane: ControlPlane;
  logger: Logger;
  /** The bootstrap cell has no LatticeCluster of its own: it is told to act as a cell. */
  bootstrapCell: boolean;
  /** Flux settings (GitOps mode): the repository the bootstrap cell hands its child. */
  flux?: LatticeFluxOptions;
}

/** Starts the real operator for a plane (the sandbox's stand-in for its Deployment). */
export type StartOperator = (request: StartOperatorRequest) => Promise<OperatorHandle>;

/** Options for {@linkcode Sandbox.up}. */
export interface SandboxOptions {
  /** LatticeClusters to create, each on the cell its `spec.cellRef` names. */
  clusters: LatticeClusterInput[];
  startOperator: StartOperator;
  /** Where kubeconfigs and state are written. */
  dir: string;
  /** Progress lines. */
  print?: (line: string) => void;
  logger?: Logger;
  /** How long to wait for every cluster to be Ready; default 10 min. */
  timeoutMs?: number;
  /**
   * GitOps mode: the clusters live in a git repository served on loopback, and each
   * cluster runs the real Flux controllers syncing its folder; only the repository root is
   * applied directly (to the bootstrap cell), the rest arrives through Flux.
   */
  gitops?: SandboxGitops;
}

/** A running sandbox. */
export class Sandbox {
  readonly bootstrap: ControlPlane;
  readonly simulator: CapiSimulator;
  readonly tracker = new PhaseTracker();
  readonly #operators = new Map<string, OperatorHandle>();
  readonly #opts: SandboxOptions;
  readonly #log: Logger;
  /** GitOps mode's repository, git server and Flux kubelets. */
  gitops?: SandboxGitopsRuntime;
  #bootstrapGone = false;

  private constructor(bootstrap: ControlPlane, simulator: CapiSimulator, opts: SandboxOptions) {
    this.bootstrap = bootstrap;
    this.simulator = simulator;
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger;
  }

  /** Starts the bootstrap cell, the simulator, and creates the clusters; waits for Ready. */
  static async up(options: SandboxOptions): Promise<Sandbox> {
    const log = options.logger ?? silentLogger;
    const print = options.print ?? (() => {});
    print("Starting the bootstrap cell (etcd + kube-apiserver, Lattice and Cluster API CRDs)");
    const bootstrap = await startControlPlane({
      name: BOOTSTRAP_CELL,
      crds: { lattice: true, upstream: [...CLUSTER_API_CRD_SETS, CLUSTERCTL_CRD_SET] },
    });
    let sandbox: Sandbox | undefined;
    try {
      await labelProviderCrds(bootstrap.kubeconfig);
      const simulator = new CapiSimulator({
        logger: log,
        onClusterPlane: (name, plane) => sandbox!.#runDeployment(name, plane),
        onClusterDeleted: (name) => sandbox!.stopOperator(name),
      });
      sandbox = new Sandbox(bootstrap, simulator, options);
      if (options.gitops) {
        sandbox.gitops = await SandboxGitopsRuntime.start(options.gitops, {
          clusters: options.clusters,
          rootParent: BOOTSTRAP_CELL,
          logger: log,
        });
        print(
          `Cluster repository: ${sandbox.gitops.repoDir} (served at ${sandbox.gitops.repoUrl})`,
        );
      }
      sandbox.#operators.set(
        BOOTSTRAP_CELL,
        await options.startOperator({
          name: BOOTSTRAP_CELL,
          plane: bootstrap,
          logger: log.child({ cluster: BOOTSTRAP_CELL }),
          bootstrapCell: true,
          flux: sandbox.gitops?.operatorFlux(true),
        }),
      );
      simulator.watchPlane(BOOTSTRAP_CELL, KubeClient.fromKubeconfig(bootstrap.kubeconfig));
      simulator.start();
      await sandbox.#createAll(options.clusters, options.timeoutMs ?? 600_000);
      await sandbox.writeKubeconfigs();
      return sandbox;
    } catch (error) {
      await (sandbox?.down() ?? bootstrap.stop());
      throw error;
    }
  }

  /** The plane of a cluster: the bootstrap plane or a simulated cluster's. */
  planeOf(name: string): ControlPlane | undefined {
    if (name === BOOTSTRAP_CELL) return this.#bootstrapGone ? undefined : this.bootstrap;
    return this.simulator.clusters.get(name)?.plane;
  }

  /** The operator running for a plane. */
  operatorOf(name: string): OperatorHandle | undefined {
    return this.#operators.get(name);
  }

  /**
   * The simulated kubelet: once `lattice join` has applied the bundle (the operator
   * Deployment exists in lattice-system), run that operator against the plane.
   */
  #runDeployment(name: string, plane: ControlPlane): void {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    this.gitops?.runFlux(name, plane);
    const started = (async () => {
      for (;;) {
        try {
          const list = await client.list<KubeObject>(DEPLOYMENT_REF, {
            namespace: "lattice-system",
          });
          if (list.items.length > 0) break;
        } catch { /* namespace not there yet */ }
        if (!this.simulator.clusters.has(name)) return;
        await new Promise((r) => setTimeout(r, 500));
      }
      // Like a kubelet with restartPolicy Always: an operator that exits at start-up (e.g.
      // the agent Secret, applied last by the join, is not there yet) is started again.
      for (let attempt = 0; this.simulator.clusters.has(name); attempt++) {
        this.#log.info("Running the operator Deployment (simulated kubelet)", { cluster: name });
        try {
          this.#operators.set(
            name,
            await this.#opts.startOperator({
              name,
              plane,
              logger: this.#log.child({ cluster: name }),
              bootstrapCell: false,
              flux: this.gitops?.operatorFlux(false),
            }),
          );
          return;
        } catch (error) {
          const delay = Math.min(10_000, 500 * 2 ** attempt);
          this.#log.warn("Operator exited; restarting (simulated kubelet)", {
            cluster: name,
            error,
            retryInMs: delay,
          });
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    })().finally(() => client.close());
    started.catch((error) => this.#log.error("Cannot start operator", { cluster: name, error }));
  }

  async #createAll(clusters: LatticeClusterInput[], timeoutMs: number): Promise<void> {
    const print = this.#opts.print ?? (() => {});
    const pending = [...clusters];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const doc of [...pending]) {
        const parent = doc.spec.cellRef ?? BOOTSTRAP_CELL;
        // GitOps: only the repository root is applied by hand; Flux brings the rest.
        if (this.gitops && parent !== BOOTSTRAP_CELL) {
          pending.splice(pending.indexOf(doc), 1);
          continue;
        }
        const parentReady = parent === BOOTSTRAP_CELL || (await this.rows())
          .some((r) => r.name === parent && r.phase === "Ready");
        const plane = this.planeOf(parent);
        if (!parentReady || !plane || !this.#operators.has(parent)) continue;
        print(`Creating LatticeCluster ${doc.metadata.name} on cell ${parent}`);
        const client = KubeClient.fromKubeconfig(plane.kubeconfig);
        try {
          await client.apply(doc as unknown as KubeObject);
        } finally {
          client.close();
        }
        pending.splice(pending.indexOf(doc), 1);
      }
      const rows = await this.rows();
      for (const row of rows) {
        const t = this.tracker.observe(row.name, row.phase);
        if (t) print(formatTransition(t));
        if (row.phase === "Failed") throw new Error(`Cannot finish: cluster ${row.name} Failed`);
      }
      const names = clusters.map((c) => c.metadata.name);
      if (
        pending.length === 0 &&
        names.every((n) => rows.find((r) => r.name === n)?.phase === "Ready")
      ) {
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`Cannot finish: clusters not Ready after ${timeoutMs / 1000}s`);
  }

  /** Every LatticeCluster, read from its parent's plane (or its own once that is gone). */
  async rows(): Promise<ClusterRow[]> {
    const rows = new Map<string, ClusterRow>();
    const planes: [string, ControlPlane][] = [];
    if (!this.#bootstrapGone) planes.push([BOOTSTRAP_CELL, this.bootstrap]);
    for (const [name, sim] of this.simulator.clusters) planes.push([name, sim.plane]);
    for (const [planeName, plane] of planes) {
      const client = KubeClient.fromKubeconfig(plane.kubeconfig);
      try {
        const ref = await client.resourceFor("lattice.dev/v1alpha1", "LatticeCluster");
        for (const lc of (await client.list<KubeObject>(ref)).items) {
          const name = lc.metadata?.name ?? "";
          const spec = lc.spec as {
            cellRef?: string;
            provider: { kubernetes: { version: string } };
          };
          const status = (lc.status ?? {}) as { phase?: string; nodes?: { summary?: string } };
          // The parent's copy is authoritative; a cluster's own copy is used once its
          // parent's plane is gone.
          const authoritative = planeName === (spec.cellRef ?? BOOTSTRAP_CELL);
          if (rows.has(name) && !authoritative) continue;
          rows.set(name, {
            name,
            parent: spec.cellRef ?? BOOTSTRAP_CELL,
            phase: status.phase,
            nodes: status.nodes?.summary,
            version: spec.provider.kubernetes.version,
            kubeconfigPath: `${this.#opts.dir}/kubeconfigs/${name}.yaml`,
          });
        }
      } catch {
        /* plane without Lattice CRDs yet */
      } finally {
        client.close();
      }
    }
    return [...rows.values()];
  }

  /** Copies each plane's admin kubeconfig to `<dir>/kubeconfigs/<name>.yaml`. */
  async writeKubeconfigs(): Promise<void> {
    await Deno.mkdir(`${this.#opts.dir}/kubeconfigs`, { recursive: true });
    const planes: [string, ControlPlane][] = [[BOOTSTRAP_CELL, this.bootstrap]];
    for (const [name, sim] of this.simulator.clusters) planes.push([name, sim.plane]);
    for (const [name, plane] of planes) {
      await Deno.writeTextFile(`${this.#opts.dir}/kubeconfigs/${name}.yaml`, plane.kubeconfig, {
        mode: 0o600,
      });
    }
  }

  /** The hierarchy as a tree, and the phase timeline. */
  async summary(): Promise<string[]> {
    const rows = await this.rows();
    return [
      ...renderTree(rows, BOOTSTRAP_CELL),
      "",
      "Timeline:",
      ...timeline(this.tracker.history, this.tracker.elapsedMs()).map((l) => `  ${l}`),
    ];
  }

  /**
   * Stops a cluster's operator (a crashed pod, a cut link: its parent sees the stream end).
   * {@linkcode restartOperator} brings it back.
   */
  async stopOperator(name: string): Promise<void> {
    await this.#operators.get(name)?.stop();
    this.#operators.delete(name);
  }

  /** Starts a stopped cluster's operator again (the simulated kubelet's restart). */
  async restartOperator(name: string): Promise<void> {
    const plane = this.planeOf(name);
    if (!plane) throw new Error(`Cannot restart the operator of ${name}: no such plane`);
    if (this.#operators.has(name)) await this.stopOperator(name);
    this.#operators.set(
      name,
      await this.#opts.startOperator({
        name,
        plane,
        logger: this.#log.child({ cluster: name }),
        bootstrapCell: name === BOOTSTRAP_CELL,
      }),
    );
  }

  /** Deletes the bootstrap cell (as `lattice install` does once the root is pivoted). */
  async deleteBootstrap(): Promise<void> {
    await this.#operators.get(BOOTSTRAP_CELL)?.stop();
    this.#operators.delete(BOOTSTRAP_CELL);
    this.simulator.unwatchPlane(BOOTSTRAP_CELL);
    this.#bootstrapGone = true;
    await this.bootstrap.stop();
  }

  /**
   * Stops every operator (leaves first, so no agent sees its cell go away and no cell
   * its agents drop), the simulator and every plane.
   */
  async down(): Promise<void> {
    for (const op of [...this.#operators.values()].reverse()) {
      await op.stop().catch((error) => this.#log.warn("Cannot stop operator", { error }));
    }
    this.#operators.clear();
    await this.gitops?.stop();
    await this.simulator.stop();
    await this.bootstrap.stop();
  }
}
