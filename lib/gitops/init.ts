/**
 * `lattice init`: a new cluster repository — the root cell's cluster.yaml, its
 * kustomization with registrations/ and children/, and .lattice/config.yaml — laid out as
 * docs/gitops.md describes, validated by the same schemas the operator and the CRDs use.
 */
import {
  API_VERSION,
  DNS1123_LABEL,
  LatticeClusterSchema,
  LatticeRepoConfigSchema,
  type ProviderName,
  PROVIDERS,
} from "../api/mod.ts";
import { Changeset } from "./changes.ts";
import { assertValid } from "./_edit.ts";
import { RepoError } from "./errors.ts";
import { abs, readTextOrUndefined } from "./fs.ts";
import { renderKustomization } from "./kustomization.ts";
import {
  CHILDREN_DIR,
  CLUSTER_FILE,
  CONFIG_FILE,
  joinPath,
  KUSTOMIZATION_FILE,
  REGISTRATIONS_DIR,
} from "./layout.ts";
import { k8sVersionProblem } from "./versions.ts";
import { newDocument, renderDocument } from "./yaml_doc.ts";

/** The Kubernetes version of a new repository when --k8s-version is not given. */
export const DEFAULT_INIT_K8S_VERSION = "1.33.1";

/** Options of {@linkcode initRepo}. */
export interface InitRepoOptions {
  /** metadata.name of the root cell. */
  name: string;
  provider: string;
  k8sVersion?: string;
  bootstrap?: string;
  controlPlaneNodes?: number;
  workers?: number;
  /** Address children use to reach the root cell (default: its name). */
  cellHost?: string;
  /** Branch Flux follows (default main). */
  branch?: string;
  /** Sets provider settings (the CLI's provider flags) and checks the required ones. */
  configure?: (provider: ProviderName, config: Record<string, unknown>) => void;
}

/**
 * Writes a new repository at `root`. Files already there with the same text are reported
 * "Unchanged"; a different cluster.yaml or config is refused, and nothing is written.
 */
export async function initRepo(root: string, options: InitRepoOptions) {
  const { name } = options;
  const action = `init ${root}`;
  if (name.length > 63 || !new RegExp(DNS1123_LABEL).test(name)) {
    throw new RepoError(
      `Cannot ${action}: --name ${name}: must be a lowercase DNS-1123 label ` +
        "(a-z, 0-9, '-'; at most 63)",
    );
  }
  const provider = options.provider as ProviderName;
  if (!PROVIDERS.includes(provider)) {
    throw new RepoError(
      `Cannot ${action}: unknown --provider '${options.provider}' (one of ${PROVIDERS.join(", ")})`,
    );
  }
  const version = options.k8sVersion ?? DEFAULT_INIT_K8S_VERSION;
  const versionProblem = k8sVersionProblem(version);
  if (versionProblem) throw new RepoError(`Cannot ${action}: --k8s-version ${versionProblem}`);
  const bootstrap = options.bootstrap ?? "kubeadm";
  if (bootstrap !== "kubeadm" && bootstrap !== "rke2") {
    throw new RepoError(`Cannot ${action}: --bootstrap ${bootstrap}: must be kubeadm or rke2`);
  }
  const config: Record<string, unknown> = {};
  options.configure?.(provider, config);
  const cluster = {
    apiVersion: API_VERSION,
    kind: "LatticeCluster",
    metadata: { name },
    spec: {
      provider: { kubernetes: { version, bootstrap }, config: { [provider]: config } },
      nodes: {
        controlPlane: options.controlPlaneNodes ?? (provider === "docker" ? 1 : 3),
        workers: options.workers ?? 2,
      },
      cell: { enabled: true, host: options.cellHost ?? name },
    },
  };
  assertValid(LatticeClusterSchema, { value: cluster, action });
  const repoConfig = {
    apiVersion: API_VERSION,
    kind: "LatticeRepoConfig",
    metadata: { name: "config" },
    spec: {
      git: { defaultBranch: options.branch ?? "main" },
      defaults: { provider: { kubernetes: { version, bootstrap } } },
    },
  };
  assertValid(LatticeRepoConfigSchema, { value: repoConfig, action });

  const files: [string, string][] = [
    [
      CLUSTER_FILE,
      renderDocument(newDocument(cluster, [["spec", "provider", "kubernetes", "version"]])),
    ],
    [KUSTOMIZATION_FILE, renderKustomization([REGISTRATIONS_DIR, CHILDREN_DIR])],
    [joinPath(REGISTRATIONS_DIR, KUSTOMIZATION_FILE), renderKustomization([])],
    [joinPath(CHILDREN_DIR, KUSTOMIZATION_FILE), renderKustomization([])],
    [
      CONFIG_FILE,
      renderDocument(
        newDocument(repoConfig, [["spec", "defaults", "provider", "kubernetes", "version"]]),
      ),
    ],
  ];
  const conflicts = files.filter(([path, text]) => {
    const current = readTextOrUndefined(abs(root, path));
    return current !== undefined && current !== text;
  }).map(([path]) => path);
  if (conflicts.length > 0) {
    throw new RepoError(
      `Cannot ${action}: it already holds a different ${conflicts.join(", ")}; ` +
        "nothing was written (edit those files, or init an empty folder)",
    );
  }
  const changes = new Changeset(root);
  for (const [path, text] of files) changes.create(path, text);
  return await changes.apply();
}
