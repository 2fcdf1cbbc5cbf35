/**
 * Installing CRDs into a plane: Lattice's own (built in memory from lib/api, no files) and
 * upstream sets vendored in the repository under third_party/crds (verbatim CRD YAML of
 * Cluster API and its providers, Flux, Cilium, Istio; see docs/testing.md), applied with
 * the real kubectl and awaited until Established.
 */
import { latticeCrds } from "../api/mod.ts";
import type { Binaries } from "./binaries.ts";
import { kubectl, type KubectlTarget } from "./kubectl.ts";

/** The Cluster API sets every Lattice parent needs: core, kubeadm bootstrap and control plane, Docker infrastructure. */
export const CLUSTER_API_CRD_SETS: readonly string[] = [
  "cluster-api-v1.14.0/core",
  "cluster-api-v1.14.0/bootstrap-kubeadm",
  "cluster-api-v1.14.0/control-plane-kubeadm",
  "cluster-api-v1.14.0/infrastructure-docker",
];

/** clusterctl's own CRDs (the Provider inventory), installed where `clusterctl init` ran. */
export const CLUSTERCTL_CRD_SET = "cluster-api-v1.14.0/clusterctl";

const APPLY_PARALLELISM = 6;

/**
 * Named subsets of a folder, as file-name prefixes. The upstream folders are flat (one file
 * per CRD), so a subset is chosen by API group and kind.
 */
const SUBSETS: Record<string, readonly string[]> = {
  "core": [
    "cluster.x-k8s.io_",
    "addons.cluster.x-k8s.io_",
    "ipam.cluster.x-k8s.io_",
    "runtime.cluster.x-k8s.io_",
  ],
  "bootstrap-kubeadm": ["bootstrap.cluster.x-k8s.io_kubeadm"],
  "control-plane-kubeadm": ["controlplane.cluster.x-k8s.io_kubeadm"],
  // Cluster API v1.14 ships the Docker provider's CRDs under both Docker* and Dev* kinds.
  "infrastructure-docker": [
    "infrastructure.cluster.x-k8s.io_docker",
    "infrastructure.cluster.x-k8s.io_dev",
  ],
  "clusterctl": ["clusterctl.cluster.x-k8s.io_"],
};

/** Options of {@link installCrds}. */
export interface InstallCrdsOptions {
  /** Install Lattice's own CRDs (from lib/api, in memory). */
  lattice?: boolean;
  /**
   * Upstream sets under `root`: a folder (`"cluster-api-v1.14.0"`, every file), a named
   * subset (`"cluster-api-v1.14.0/core"`, see {@link CLUSTER_API_CRD_SETS}), one file
   * (`".../cluster.x-k8s.io_clusters.yaml"`) or a file-name prefix
   * (`"cluster-api-provider-aws-v2.11.1/infrastructure.cluster.x-k8s.io_awsclusters"`).
   */
  upstream?: string[];
  /** Folder of upstream CRD sets (default: the repository's third_party/crds). */
  root?: string;
  /** How long to wait for Established and served (default 60 s). */
  timeoutMs?: number;
  /** Binaries to use (default: resolved). */
  binaries?: Binaries;
}

/**
 * Applies the chosen CRDs server-side with the real kubectl and waits until every one is
 * Established and served. Re-applying is harmless (server-side apply with forced conflicts).
 * When the CRDs are known before the plane starts, `startControlPlane({ crds })` is much
 * faster (it seeds etcd from a template).
 */
export async function installCrds(
  plane: KubectlTarget,
  options: InstallCrdsOptions,
): Promise<void> {
  const files = await upstreamFiles(options.upstream ?? [], options.root ?? defaultCrdRoot());
  const inline = options.lattice
    ? latticeCrds().map((crd) => JSON.stringify(crd)).join("\n---\n")
    : undefined;
  if (files.length === 0 && inline === undefined) return;
  // kubectl applies the objects of one call one after another; a few calls side by side
  // keep the apiserver busy on both cores and roughly halve the time for Cluster API's set.
  const groups: { files: string[]; stdin?: string }[] = Array.from(
    { length: Math.min(APPLY_PARALLELISM, Math.max(1, files.length)) },
    () => ({ files: [] }),
  );
  files.forEach((f, i) => groups[i % groups.length].files.push(f));
  groups[0].stdin = inline;
  const outputs = await Promise.all(groups.map((g) => applyGroup(plane, g, options)));
  const names = outputs.flatMap((out) => out.split("\n").map((l) => l.trim()).filter(Boolean));
  await waitCrdsReady(plane, names, options);
}

async function applyGroup(
  plane: KubectlTarget,
  group: { files: string[]; stdin?: string },
  options: InstallCrdsOptions,
): Promise<string> {
  const sources = [
    ...(group.stdin === undefined ? [] : ["-f", "-"]),
    ...group.files.flatMap((f) => ["-f", f]),
  ];
  if (sources.length === 0) return "";
  const args = ["apply", "--server-side", "--force-conflicts", "--field-manager=lattice-sandbox"];
  try {
    const out = await kubectl(plane, [...args, "-o", "name", ...sources], {
      stdin: group.stdin,
      binaries: options.binaries,
    });
    return out.stdout;
  } catch (e) {
    throw new Error(`Cannot install CRDs: ${(e as Error).message}`, { cause: e });
  }
}

// `kubectl wait` and `kubectl get <names>` fetch resources one after another (about 130 ms
// each); one list of all CRDs per poll is an order of magnitude faster for a few dozen.
// A filter such as [?(@.type=="Established")] fails on a CRD with no conditions yet, so
// all condition types and statuses are printed (comma-separated, <none> when absent) and
// paired up here.
const CONDITION_COLUMNS = "custom-columns=NAME:.metadata.name," +
  "TYPES:.status.conditions[*].type,STATUSES:.status.conditions[*].status";

/** Options of {@link waitCrdsReady}. */
export interface WaitCrdsOptions {
  /** How long to wait (default 60 s). */
  timeoutMs?: number;
  /** Binaries to use (default: resolved). */
  binaries?: Binaries;
}

/**
 * Waits until every CRD in `names` (`<name>` or kubectl's `customresourcedefinition.…/<name>`)
 * is Established and its resources answer a list: right after establishment the apiserver
 * still answers 429 ("storage is (re)initializing") while its watch cache fills, and a test
 * creating objects at once must not see that.
 */
export async function waitCrdsReady(
  plane: KubectlTarget,
  names: string[],
  options: WaitCrdsOptions = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let pending = names;
  while (pending.length > 0) {
    const out = await kubectl(
      plane,
      ["get", "customresourcedefinitions", "--no-headers", "-o", CONDITION_COLUMNS],
      {
        binaries: options.binaries,
      },
    );
    const established = new Set(
      out.stdout.split("\n").map((l) => l.trim().split(/\s+/))
        .filter(([, types = "", statuses = ""]) => {
          const s = statuses.split(",");
          return types.split(",").some((t, i) => t === "Established" && s[i] === "True");
        }).map(([name]) => name),
    );
    pending = pending.filter((n) => !established.has(crdName(n)));
    if (pending.length === 0) break;
    if (Date.now() > deadline) {
      throw new Error(`Cannot install CRDs: not Established in time: ${pending.join(", ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await waitServed(plane, names, deadline, options);
}

function crdName(name: string): string {
  return name.slice(name.indexOf("/") + 1);
}

/** Lists every resource once; kubectl honours the 429's Retry-After by itself. */
async function waitServed(
  plane: KubectlTarget,
  names: string[],
  deadline: number,
  options: WaitCrdsOptions,
): Promise<void> {
  // A CRD's name is `<plural>.<group>`, which kubectl takes as a resource type.
  const resources = names.map(crdName).join(",");
  if (!resources) return;
  for (;;) {
    const out = await kubectl(plane, ["get", resources, "--all-namespaces", "-o", "name"], {
      binaries: options.binaries,
      allowFailure: true,
    });
    if (out.code === 0) return;
    // Discovery may lag establishment by a moment ("doesn't have a resource type").
    if (Date.now() > deadline) {
      throw new Error(`Cannot install CRDs: resources not served in time: ${out.stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The absolute YAML file paths the `sets` name, in order, without duplicates. */
export async function upstreamFiles(sets: readonly string[], root: string): Promise<string[]> {
  const out = new Set<string>();
  for (const set of sets) {
    const [folder, selector, ...rest] = set.split("/");
    if (!folder || rest.length > 0 || folder === "..") {
      throw new Error(
        `Cannot resolve CRD set "${set}": expected "<folder>" or "<folder>/<subset>"`,
      );
    }
    const dir = `${root}/${folder}`;
    let entries: string[];
    try {
      entries = [];
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile && /\.ya?ml$/.test(e.name)) entries.push(e.name);
      }
    } catch (e) {
      throw new Error(
        `Cannot resolve CRD set "${set}": cannot read ${dir} (the vendored upstream CRDs ` +
          "are refreshed by `deno task vendor-crds`; see docs/testing.md)",
        { cause: e },
      );
    }
    entries.sort();
    const prefixes = selector === undefined ? [""] : SUBSETS[selector] ?? [selector];
    const matched = entries.filter((name) =>
      selector !== undefined && /\.ya?ml$/.test(selector)
        ? name === selector
        : prefixes.some((p) => name.startsWith(p))
    );
    if (matched.length === 0) {
      throw new Error(`Cannot resolve CRD set "${set}": no file in ${dir} matches`);
    }
    for (const name of matched) out.add(`${dir}/${name}`);
  }
  return [...out];
}

/** The repository's third_party/crds folder, where the vendored upstream sets live. */
export function defaultCrdRoot(): string {
  const url = new URL("../../third_party/crds", import.meta.url);
  if (url.protocol !== "file:") {
    throw new Error("Cannot locate upstream CRDs: pass `root` (module is not a local file)");
  }
  return decodeURIComponent(url.pathname);
}
