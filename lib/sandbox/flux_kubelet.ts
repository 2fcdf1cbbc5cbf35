/**
 * The simulated kubelet for Flux (sandbox only): runs the REAL source-controller and
 * kustomize-controller — built from their Go modules by scripts/install_flux_bins.sh — as
 * the processes behind the flux-system Deployments of one sandbox cluster. The image
 * `ghcr.io/fluxcd/<component>:<version>` maps to the local binary `<component>-<version>`;
 * each process gets the cluster's admin kubeconfig, RUNTIME_NAMESPACE=flux-system, leader
 * election off and its own loopback metrics/health (and storage) addresses.
 *
 * Like kubelet plus the Deployment controller, it writes the Deployment's status: available
 * once the process answers its health endpoint, unavailable (with the reason) when the
 * image has no binary or the process keeps exiting. A changed image restarts the process
 * (strategy Recreate); a deleted Deployment stops it.
 */
import { DEPLOYMENT_REF, type KubeClient, type KubeObject } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { FLUX_NAMESPACE, FLUX_PART_OF_LABEL } from "../flux/names.ts";
import { freePorts } from "./_ports.ts";
import { logTail, startSupervised, type Supervised } from "./_process.ts";

/** Where the Flux controller binaries are (scripts/install_flux_bins.sh's output). */
export function fluxBinDir(env: Record<string, string | undefined> = Deno.env.toObject()): string {
  if (env.LATTICE_FLUX_BIN) return env.LATTICE_FLUX_BIN;
  const cache = env.LATTICE_CACHE ?? `${env.HOME ?? "/root"}/.cache/lattice`;
  return `${cache}/bin/flux-r1`;
}

/** The binary an image maps to, e.g. `ghcr.io/fluxcd/source-controller:v1.9.3`. */
export function binaryForImage(image: string, dir: string): string | undefined {
  const m = /^(?:[^/]+\/)*fluxcd\/([a-z-]+):(v[0-9][0-9A-Za-z.+-]*)$/.exec(image);
  return m ? `${dir}/${m[1]}-${m[2]}` : undefined;
}

interface DeploymentView extends KubeObject {
  spec?: { template?: { spec?: { containers?: { image?: string }[] } } };
}

interface Running {
  image: string;
  generation: number;
  process?: Supervised;
  healthPort: number;
  healthy: boolean;
  problem?: string;
  restarts: number;
  written?: string;
}

/** Options for {@linkcode FluxKubelet}. */
export interface FluxKubeletOptions {
  /** The cluster's name (for messages). */
  cluster: string;
  /** The cluster's admin kubeconfig file. */
  kubeconfigPath: string;
  /** Folder for logs and source-controller's storage. */
  dir: string;
  /** Where the binaries are; default {@linkcode fluxBinDir}. */
  binDir?: string;
  /** Poll interval; default 1 s. */
  pollMs?: number;
  /** More flags for every controller (e.g. `--concurrent=8` in benchmarks). */
  extraArgs?: string[];
  logger?: Logger;
}

/** Runs one cluster's Flux Deployments as local processes; see the module doc. */
export class FluxKubelet {
  readonly #client: KubeClient;
  readonly #o: FluxKubeletOptions;
  readonly #log: Logger;
  readonly #running = new Map<string, Running>();
  #timer?: ReturnType<typeof setTimeout>;
  #stopped = false;
  #pass?: Promise<void>;
  /**
   * source-controller's storage port, kept across restarts as a Service keeps its address:
   * artifacts are advertised at it, and kustomize-controller fetches a revision's artifact
   * from the URL recorded before the restart. A new port per start (an upgrade restarts the
   * controller) left it retrying a dead address until its 2 min timeout.
   */
  #storagePort?: number;

  constructor(client: KubeClient, options: FluxKubeletOptions) {
    this.#client = client;
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "flux-kubelet" });
  }

  /** Starts following the Deployments. */
  start(): void {
    const loop = async () => {
      if (this.#stopped) return;
      this.#pass = this.sync().catch((error) =>
        this.#log.debug("Flux kubelet pass failed", { error })
      );
      await this.#pass;
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#o.pollMs ?? 1_000);
    };
    loop();
  }

  /** The pids of the controllers running now (for memory figures). */
  pids(): number[] {
    return [...this.#running.values()].flatMap((r) => r.process?.running() ? [r.process.pid] : []);
  }

  /** Stops every controller process. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#pass;
    await Promise.all([...this.#running.values()].map((r) => r.process?.kill(2_000)));
    this.#running.clear();
  }

  /** One pass: start, restart or stop processes; write Deployment status. */
  async sync(): Promise<void> {
    const list = await this.#client.list<DeploymentView>(DEPLOYMENT_REF, {
      namespace: FLUX_NAMESPACE,
      labelSelector: `${FLUX_PART_OF_LABEL}=flux`,
    });
    const seen = new Set<string>();
    for (const d of list.items) {
      const name = d.metadata?.name ?? "";
      seen.add(name);
      const image = d.spec?.template?.spec?.containers?.[0]?.image ?? "";
      const generation = d.metadata?.generation ?? 1;
      let run = this.#running.get(name);
      if (run && run.image !== image) {
        this.#log.info("Image changed: restarting", { cluster: this.#o.cluster, name, image });
        await run.process?.kill(2_000);
        this.#running.delete(name);
        run = undefined;
      }
      if (!run) {
        run = await this.#start(name, image, generation);
        this.#running.set(name, run);
      }
      run.generation = generation;
      if (run.process && !run.process.running()) {
        run.healthy = false;
        run.restarts++;
        run.problem = `exited: ${(await logTail(run.process.logPath, 3)).slice(-500)}`;
        if (run.restarts <= 5) {
          this.#running.delete(name);
          const again = await this.#start(name, image, generation);
          again.restarts = run.restarts;
          this.#running.set(name, again);
          run = again;
        }
      }
      if (run.process?.running() && !run.healthy) run.healthy = await this.#probe(run.healthPort);
      await this.#writeStatus(name, run);
    }
    for (const [name, run] of this.#running) {
      if (seen.has(name)) continue;
      await run.process?.kill(2_000);
      this.#running.delete(name);
    }
  }

  async #start(name: string, image: string, generation: number): Promise<Running> {
    const binary = binaryForImage(image, this.#o.binDir ?? fluxBinDir());
    const [metrics, health, fresh] = freePorts(3);
    const storage = name === "source-controller" ? this.#storagePort ??= fresh : fresh;
    const run: Running = { image, generation, healthPort: health, healthy: false, restarts: 0 };
    if (!binary || !(await exists(binary))) {
      run.problem = `no local binary for image ${image} (ErrImagePull); run ` +
        "`bash scripts/install_flux_bins.sh`";
      this.#log.warn("Cannot run Flux controller", { cluster: this.#o.cluster, name, image });
      return run;
    }
    const dir = `${this.#o.dir}/${name}`;
    await Deno.mkdir(`${dir}/data`, { recursive: true });
    const args = [
      binary,
      "--watch-all-namespaces",
      "--log-level=info",
      "--log-encoding=json",
      "--enable-leader-election=false",
      `--metrics-addr=127.0.0.1:${metrics}`,
      `--health-addr=127.0.0.1:${health}`,
      ...(this.#o.extraArgs ?? []),
    ];
    if (name === "source-controller") {
      args.push(
        `--storage-path=${dir}/data`,
        `--storage-addr=127.0.0.1:${storage}`,
        `--storage-adv-addr=127.0.0.1:${storage}`,
      );
    }
    this.#log.info("Starting Flux controller (simulated kubelet)", {
      cluster: this.#o.cluster,
      name,
      image,
    });
    run.process = await startSupervised(name, args, `${dir}/${name}.log`, {
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: dir,
        KUBECONFIG: this.#o.kubeconfigPath,
        RUNTIME_NAMESPACE: FLUX_NAMESPACE,
        TUF_ROOT: `${dir}/.sigstore`,
        TMPDIR: dir,
      },
    });
    return run;
  }

  async #probe(port: number): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
        signal: AbortSignal.timeout(1_000),
      });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  async #writeStatus(name: string, run: Running): Promise<void> {
    const ready = run.healthy ? 1 : 0;
    const key = `${run.generation}|${ready}|${run.problem ?? ""}`;
    if (run.written === key) return;
    const condition = run.healthy
      ? { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "" }
      : {
        type: "Available",
        status: "False",
        reason: run.process ? "ProcessNotReady" : "ImageUnavailable",
        message: run.problem ?? "controller starting",
      };
    await this.#client.patchStatus(DEPLOYMENT_REF, name, FLUX_NAMESPACE, {
      status: {
        observedGeneration: run.generation,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: ready,
        availableReplicas: ready,
        unavailableReplicas: 1 - ready,
        conditions: [{ ...condition, lastUpdateTime: new Date().toISOString() }],
      },
    });
    run.written = key;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
