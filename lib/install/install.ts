/**
 * `lattice install`: bootstraps the first (root) cluster through a temporary bootstrap
 * cluster, then deletes it (docs/install.md).
 *
 * 1. The backend creates the bootstrap cluster with Cluster API and a Lattice bootstrap
 *    cell (kind + clusterctl in real use; see kind.ts).
 * 2. The root's LatticeCluster is applied there; the bootstrap cell provisions it like any
 *    child: CAPI objects, kubeadm runs `lattice join`, the agent connects back.
 * 3. As soon as the root's API answers, its kubeconfig is saved and the backend readies the
 *    root (a locally built image loaded into its nodes); the join itself brings the CNI and
 *    the Job that installs Cluster API (lib/bundle/addons.ts).
 * 4. The bootstrap cell pivots the root's CAPI objects into the root (phase Ready).
 * 5. The root is checked to hold its own CAPI objects, is detached from the bootstrap cell
 *    (its agent Secret removed, the operator restarted), and the bootstrap is deleted.
 *
 * Every step may be run again: applying is server-side, a backend reuses its cluster.
 */
import type { LatticeClusterInput } from "../api/mod.ts";
import { AGENT_SECRET_NAME, NAMESPACE, OPERATOR_NAME } from "../bundle/names.ts";
import { isNotFound, KubeClient } from "../kube/mod.ts";
import { PhaseTracker, timeline } from "../sandbox/sandbox_progress.ts";
import { provisionCluster } from "./provision.ts";
import { DEPLOYMENT_REF, SECRET_REF } from "../kube/refs.ts";
import { Buffer } from "node:buffer";
import {
  DEFAULT_COMPONENTS,
  DEFAULT_FLUX_VERSION,
  DEFAULT_INTERVAL,
  FluxInstaller,
  type GitSource,
} from "../flux/mod.ts";

/** The temporary bootstrap cluster and how the root is readied for the pivot. */
export interface BootstrapBackend {
  /** Says what the bootstrap is, e.g. `kind cluster lattice-bootstrap`. */
  readonly description: string;
  /**
   * Creates (or reuses) the bootstrap cluster with Cluster API and a running Lattice
   * bootstrap cell (`lattice operator --bootstrap-cell`); returns its admin kubeconfig.
   */
  create(print: (line: string) => void): Promise<string>;
  /**
   * Readies the new root with what only the machine running the install can give it (e.g.
   * an image that exists only in its Docker engine), given the root's kubeconfig.
   */
  prepareRoot(
    kubeconfig: string,
    root: LatticeClusterInput,
    print: (line: string) => void,
  ): Promise<void>;
  /** Called once the root is Ready, whatever happens next (stops background work). */
  done?(): Promise<void>;
  /** Deletes the bootstrap cluster. */
  destroy(print: (line: string) => void): Promise<void>;
}

/** Options of {@linkcode install}. */
export interface InstallOptions {
  root: LatticeClusterInput;
  backend: BootstrapBackend;
  /** Where the root's admin kubeconfig is written (mode 0600). */
  kubeconfigOut: string;
  /** Keep the bootstrap cluster at the end (for debugging). */
  keepBootstrap?: boolean;
  /** How long the root may take to reach Ready; default 45 min. */
  timeoutMs?: number;
  /** Poll interval; default 2 s. */
  pollMs?: number;
  /**
   * The fleet's repository (`--git-repo`, `--git-credentials`): Flux is installed on the
   * root to sync the repository's root folder, and every child gets it from its parent.
   */
  git?: GitSource;
  print?: (line: string) => void;
}

/** What an install did. */
export interface InstallResult {
  /** The root's admin kubeconfig (also written to `kubeconfigOut`). */
  kubeconfig: string;
  /** Phase durations of the root, e.g. `root: Pending 0.4s → Provisioning 60.2s → ...`. */
  timeline: string[];
}

/** Installs the root cluster; see the module documentation for the steps. */
export async function install(options: InstallOptions): Promise<InstallResult> {
  const print = options.print ?? (() => {});
  const { root, backend } = options;
  const name = root.metadata.name;
  const tracker = new PhaseTracker();

  print(`Creating the bootstrap cluster (${backend.description})`);
  const bootstrapKubeconfig = await backend.create(print);
  print(`Applying LatticeCluster ${name} to the bootstrap cell`);
  let kubeconfig: string;
  try {
    kubeconfig = await provisionCluster({
      parentKubeconfig: bootstrapKubeconfig,
      cluster: root,
      prepare: (text) => backend.prepareRoot(text, root, print),
      kubeconfigOut: options.kubeconfigOut,
      timeoutMs: options.timeoutMs,
      pollMs: options.pollMs,
      tracker,
      print,
    });
  } catch (error) {
    throw new Error(
      `Cannot install: ${(error as Error).message}; the bootstrap cluster is kept for inspection`,
      { cause: error },
    );
  } finally {
    await backend.done?.();
  }
  print(`${name} holds its own Cluster API objects; detaching it from the bootstrap cell`);
  await detach(kubeconfig);
  if (options.git) await installRootFlux(kubeconfig, root, options.git, print);
  if (options.keepBootstrap) {
    print(`Keeping the bootstrap cluster (${backend.description})`);
  } else {
    print(`Deleting the bootstrap cluster (${backend.description})`);
    await backend.destroy(print);
  }
  return { kubeconfig, timeline: timeline(tracker.history, tracker.elapsedMs()) };
}

/**
 * Installs Flux on the root, syncing the repository's root folder: the version of the
 * root's `spec.flux`, else the newest vendored (the root's operator moves it to the
 * repository config's version once its Flux synced `.lattice/config.yaml`).
 */
async function installRootFlux(
  kubeconfig: string,
  root: LatticeClusterInput,
  git: GitSource,
  print: (line: string) => void,
): Promise<void> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const version = root.spec.flux?.version ?? DEFAULT_FLUX_VERSION;
    print(`Installing Flux ${version} on ${root.metadata.name}, syncing ${git.repoUrl} (./)`);
    await new FluxInstaller(client, { healthTimeoutMs: 600_000 }).install({
      version,
      repoUrl: git.repoUrl,
      branch: git.branch,
      path: "",
      gitCredentials: Buffer.from(git.credentials),
      components: [...DEFAULT_COMPONENTS],
      interval: root.spec.flux?.interval ?? DEFAULT_INTERVAL,
      suspend: root.spec.flux?.suspend === true,
      force: false,
    });
  } finally {
    client.close();
  }
}

/**
 * The root has no parent once the bootstrap is gone: remove the agent Secret that points
 * at the bootstrap cell and restart the operator so it runs without the agent role.
 */
async function detach(kubeconfig: string): Promise<void> {
  const root = KubeClient.fromKubeconfig(kubeconfig);
  try {
    await root.delete(SECRET_REF, AGENT_SECRET_NAME, NAMESPACE, { ignoreNotFound: true });
    await root.patch(DEPLOYMENT_REF, OPERATOR_NAME, {
      spec: {
        template: {
          metadata: {
            annotations: { "kubectl.kubernetes.io/restartedAt": new Date().toISOString() },
          },
        },
      },
    }, { namespace: NAMESPACE }).catch((error) => {
      if (!isNotFound(error)) throw error;
    });
  } finally {
    root.close();
  }
}
