/**
 * The sandbox's GitOps mode: the cluster repository (created with the example fleet, or an
 * existing one), `git http-backend` serving it on loopback, and one Flux kubelet per
 * cluster running the real Flux controllers behind that cluster's flux-system Deployments.
 */
import type { LatticeClusterInput } from "../api/mod.ts";
import { KubeClient } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { LatticeFluxOptions } from "../operator/lattice.ts";
import type { CellFluxSource, RepoFlux } from "../flux/mod.ts";
import { parse } from "yaml";
import type { ControlPlane } from "./control_plane.ts";
import { FluxKubelet } from "./flux_kubelet.ts";
import { type GitServer, startGitServer } from "./git_server.ts";
import { createSandboxRepo } from "./gitops_repo.ts";

/** GitOps settings of a sandbox. */
export interface SandboxGitops {
  /** The repository folder; created with the examples when it holds no repository. */
  repoDir: string;
  /** Require HTTP basic auth on the git server, and hand these credentials to Flux. */
  auth?: { username: string; password: string };
  /** Credentials handed to Flux instead of `auth` (tests of wrong credentials). */
  fluxCredentials?: string;
  /** `.lattice/config.yaml`'s Flux version for a new repository. */
  fluxVersion?: string;
  /** Sync interval of a new repository; default 10s in the sandbox. */
  fluxInterval?: string;
  /** How often Flux state is read and children are checked; default 2 s. */
  pollMs?: number;
  /** How long new Flux controllers get to become healthy; default 3 min. */
  healthTimeoutMs?: number;
}

/** The running GitOps parts of a sandbox. */
export class SandboxGitopsRuntime {
  readonly repoDir: string;
  readonly repoUrl: string;
  readonly server: GitServer;
  readonly kubelets = new Map<string, FluxKubelet>();
  readonly #o: SandboxGitops;
  readonly #log: Logger;
  readonly #clients: KubeClient[] = [];
  /** The source the bootstrap cell hands its child; mutable (see setFluxSource). */
  readonly #source: CellFluxSource;

  private constructor(o: SandboxGitops, server: GitServer, log: Logger, repoFlux?: RepoFlux) {
    this.#o = o;
    this.server = server;
    this.repoDir = o.repoDir.replace(/\/+$/, "");
    const name = this.repoDir.slice(this.repoDir.lastIndexOf("/") + 1);
    this.repoUrl = `${server.url}/${encodeURIComponent(name)}`;
    this.#log = log;
    const credentials = o.fluxCredentials ??
      (o.auth ? `${o.auth.username}:${o.auth.password}` : "");
    this.#source = {
      repoUrl: this.repoUrl,
      branch: "main",
      credentials: new TextEncoder().encode(credentials),
      path: "",
      repoFlux,
    };
  }

  /**
   * Changes what the bootstrap cell hands the repository root's Flux (as re-running
   * `lattice install --git-repo URL --git-credentials FILE` would): the root's agent probes
   * the new source and keeps the old one when it cannot be fetched.
   */
  setFluxSource(change: { repoUrl?: string; credentials?: string }): void {
    if (change.repoUrl !== undefined) this.#source.repoUrl = change.repoUrl;
    if (change.credentials !== undefined) {
      this.#source.credentials = new TextEncoder().encode(change.credentials);
    }
  }

  /** Creates the repository if needed and starts serving it. */
  static async start(
    o: SandboxGitops,
    fleet: { clusters: LatticeClusterInput[]; rootParent: string; logger?: Logger },
  ): Promise<SandboxGitopsRuntime> {
    const dir = o.repoDir.replace(/\/+$/, "");
    const exists = await Deno.stat(`${dir}/.git`).then(() => true, () => false);
    if (!exists) {
      await createSandboxRepo({
        dir,
        clusters: fleet.clusters,
        rootParent: fleet.rootParent,
        fluxVersion: o.fluxVersion,
        fluxInterval: o.fluxInterval ?? "10s",
      });
    }
    const config = parse(
      await Deno.readTextFile(`${dir}/.lattice/config.yaml`).catch(() => "{}"),
    ) as { spec?: { flux?: RepoFlux } } | null;
    const server = await startGitServer({
      projectRoot: dir.slice(0, dir.lastIndexOf("/")) || "/",
      auth: o.auth,
      logger: fleet.logger,
    });
    return new SandboxGitopsRuntime(o, server, fleet.logger ?? silentLogger, config?.spec?.flux);
  }

  /** What the operator of a plane is told about Flux. */
  operatorFlux(bootstrap: boolean): LatticeFluxOptions {
    return {
      source: bootstrap ? this.#source : undefined,
      pollMs: this.#o.pollMs ?? 2_000,
      healthTimeoutMs: this.#o.healthTimeoutMs ?? 180_000,
    };
  }

  /** Starts the Flux kubelet of a cluster's plane (idempotent). */
  runFlux(name: string, plane: ControlPlane): void {
    if (this.kubelets.has(name)) return;
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    this.#clients.push(client);
    const kubelet = new FluxKubelet(client, {
      cluster: name,
      kubeconfigPath: plane.kubeconfigPath,
      dir: `${plane.dir}/flux`,
      logger: this.#log,
    });
    this.kubelets.set(name, kubelet);
    kubelet.start();
  }

  /** Pids of every running Flux controller (for memory figures). */
  pids(): number[] {
    return [...this.kubelets.values()].flatMap((k) => k.pids());
  }

  /** Stops the kubelets (and their controllers) and the git server. */
  async stop(): Promise<void> {
    await Promise.all([...this.kubelets.values()].map((k) => k.stop()));
    this.kubelets.clear();
    for (const c of this.#clients) c.close();
    await this.server.stop();
  }
}
