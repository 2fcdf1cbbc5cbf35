/**
 * Where the control-plane binaries (etcd, kube-apiserver, kubectl) come from: a directory
 * named by LATTICE_K8S_BIN or KUBEBUILDER_ASSETS (setup-envtest's layout), else the cache
 * that scripts/install_k8s_bins.sh fills.
 */

/** Kubernetes version of the binaries scripts/install_k8s_bins.sh builds. */
export const K8S_VERSION = "v1.36.3";
/** etcd version of the binaries scripts/install_k8s_bins.sh builds. */
export const ETCD_VERSION = "v3.6.5";

/** Absolute paths of the three control-plane binaries. */
export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
}

/** Options of {@link resolveBinaries}. */
export interface ResolveBinariesOptions {
  /**
   * Environment to read (LATTICE_K8S_BIN, KUBEBUILDER_ASSETS, LATTICE_CACHE, HOME);
   * defaults to the process environment.
   */
  env?: Record<string, string | undefined>;
}

const NAMES = { etcd: "etcd", kubeApiserver: "kube-apiserver", kubectl: "kubectl" } as const;

/**
 * Finds etcd, kube-apiserver and kubectl. A directory named by LATTICE_K8S_BIN or
 * KUBEBUILDER_ASSETS wins (and must hold all three); otherwise the cache directory of the
 * pinned versions. Throws, saying how to get them, when none is complete.
 */
export async function resolveBinaries(options: ResolveBinariesOptions = {}): Promise<Binaries> {
  const env = options.env ?? Deno.env.toObject();
  for (const variable of ["LATTICE_K8S_BIN", "KUBEBUILDER_ASSETS"] as const) {
    const dir = env[variable];
    if (!dir) continue;
    const found = await binariesIn(dir);
    if (!found) {
      throw new Error(
        `Cannot use control-plane binaries: ${variable}=${dir} lacks one of etcd, ` +
          "kube-apiserver, kubectl",
      );
    }
    return found;
  }
  const cache = env.LATTICE_CACHE ?? `${env.HOME ?? "/root"}/.cache/lattice`;
  const base = `${cache}/bin/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}`;
  // -r2 is the current build recipe (version-stamped); the unsuffixed directory is an
  // older build of the same sources and still works.
  for (const dir of [`${base}-r2`, base]) {
    const found = await binariesIn(dir);
    if (found) return found;
  }
  throw new Error(
    `Cannot find control-plane binaries: none in ${base}-r2; run ` +
      "`bash scripts/install_k8s_bins.sh` or set LATTICE_K8S_BIN to a directory holding " +
      "etcd, kube-apiserver and kubectl",
  );
}

async function binariesIn(dir: string): Promise<Binaries | undefined> {
  const root = dir.replace(/\/+$/, "");
  const paths = {
    etcd: `${root}/${NAMES.etcd}`,
    kubeApiserver: `${root}/${NAMES.kubeApiserver}`,
    kubectl: `${root}/${NAMES.kubectl}`,
  };
  for (const path of Object.values(paths)) {
    if (!(await isExecutable(path))) return undefined;
  }
  return paths;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o755) & 0o111) !== 0;
  } catch {
    return false;
  }
}
