/**
 * Creating and deleting clusters: a cluster is a folder under its parent's children/,
 * with cluster.yaml, its kustomization and either placements/ (a leaf) or registrations/
 * and children/ (a cell); the parent's children/kustomization.yaml lists it.
 */
import {
  API_VERSION,
  DNS1123_LABEL,
  isCellSpec,
  LatticeClusterSchema,
  type ProviderName,
  PROVIDERS,
} from "../api/mod.ts";
import { Changeset } from "./changes.ts";
import { addToFolder, assertValid, editKustomization, readForEdit } from "./_edit.ts";
import { RepoError } from "./errors.ts";
import { assertParsed, descendants, findCluster, scanHierarchy } from "./hierarchy.ts";
import { renderKustomization } from "./kustomization.ts";
import {
  childDir,
  CHILDREN_DIR,
  CLUSTER_FILE,
  clusterFile,
  CONFIG_FILE,
  displayDir,
  joinPath,
  KUSTOMIZATION_FILE,
  PLACEMENTS_DIR,
  REGISTRATIONS_DIR,
} from "./layout.ts";
import { loadFile } from "./repo.ts";
import { k8sVersionProblem } from "./versions.ts";
import { newDocument, renderDocument } from "./yaml_doc.ts";

/** Options of {@linkcode createCluster}. */
export interface CreateClusterOptions {
  /** Name of the parent cell (required). */
  parent: string;
  /** Make the new cluster a cell (it gets registrations/ and children/). */
  cell?: boolean;
  /** Address children use to reach the cell (default: the cluster's name). */
  cellHost?: string;
  /** Infrastructure provider (default: the parent's). */
  provider?: string;
  /** Region (aws, gcp) or location (azure). */
  region?: string;
  controlPlaneNodes?: number;
  workers?: number;
  /** Instance type / machine type / VM size of workers. */
  instanceType?: string;
  /** Kubernetes version (default: the repo config's default, else the parent's). */
  k8sVersion?: string;
  /** Sets further provider settings (the CLI's provider flags) and checks required ones. */
  configure?: (provider: ProviderName, config: Record<string, unknown>) => void;
}

type ClusterDoc = {
  spec?: {
    cell?: unknown;
    provider?: {
      kubernetes?: { version?: string; bootstrap?: string };
      config?: Record<string, Record<string, unknown>>;
    };
  };
};

// Where --region and --instance-type land in each provider's config.
const REGION_KEY: Partial<Record<ProviderName, string>> = {
  aws: "region",
  gcp: "region",
  azure: "location",
};
const INSTANCE_KEY: Partial<Record<ProviderName, string>> = {
  aws: "workerInstanceType",
  gcp: "workerMachineType",
  azure: "workerVmSize",
};

/** Writes a new cluster under its parent; returns the changes made. */
export async function createCluster(
  root: string,
  name: string,
  options: CreateClusterOptions,
) {
  const action = `create cluster ${name}`;
  if (name.length > 63 || !new RegExp(DNS1123_LABEL).test(name)) {
    throw new RepoError(
      `Cannot ${action}: the name must be a lowercase DNS-1123 label (a-z, 0-9, '-'; at most 63)`,
    );
  }
  const hierarchy = scanHierarchy(root);
  assertParsed(hierarchy);
  const existing = hierarchy.byName.get(name);
  if (existing) {
    throw new RepoError(
      `Cannot ${action}: a cluster named ${name} already exists at ${displayDir(existing[0].dir)}`,
    );
  }
  let parent;
  try {
    parent = findCluster(hierarchy, options.parent);
  } catch (error) {
    throw new RepoError(`Cannot ${action}: parent '${options.parent}' does not exist`, {
      cause: error,
    });
  }
  const parentFile = readForEdit(root, { path: clusterFile(parent.dir), action: action });
  const parentDoc = parentFile.doc.toJS() as ClusterDoc;
  if (!isCellSpec(parentDoc.spec)) {
    throw new RepoError(
      `Cannot ${action}: parent '${parent.name}' is not a cell (its ${
        clusterFile(parent.dir)
      } has no spec.cell); create parents with --cell`,
    );
  }
  const config = loadFile(root, CONFIG_FILE, { strict: true })?.value as
    | {
      spec?: {
        defaults?: { provider?: { kubernetes?: { version?: string; bootstrap?: string } } };
      };
    }
    | undefined;
  const defaults = config?.spec?.defaults?.provider?.kubernetes ?? {};
  const parentProvider = parentDoc.spec?.provider;
  const parentName = Object.keys(parentProvider?.config ?? {})[0];
  const provider = (options.provider ?? parentName) as ProviderName;
  if (!PROVIDERS.includes(provider)) {
    throw new RepoError(
      `Cannot ${action}: unknown provider '${options.provider}' (one of ${PROVIDERS.join(", ")})`,
    );
  }
  // A child usually lives where its parent does: start from the parent's settings.
  const providerConfig: Record<string, unknown> = provider === parentName
    ? structuredClone(parentProvider?.config?.[provider] ?? {})
    : {};
  if (options.region !== undefined) {
    const key = REGION_KEY[provider];
    if (!key) throw new RepoError(`Cannot ${action}: --region does not apply to ${provider}`);
    providerConfig[key] = options.region;
  }
  if (options.instanceType !== undefined) {
    const key = INSTANCE_KEY[provider];
    if (!key) {
      throw new RepoError(`Cannot ${action}: --instance-type does not apply to ${provider}`);
    }
    providerConfig[key] = options.instanceType;
  }
  options.configure?.(provider, providerConfig);
  const version = options.k8sVersion ?? defaults.version ?? parentProvider?.kubernetes?.version;
  if (version === undefined) {
    throw new RepoError(`Cannot ${action}: pass --k8s-version (no default in ${CONFIG_FILE})`);
  }
  const versionProblem = k8sVersionProblem(version);
  if (versionProblem) throw new RepoError(`Cannot ${action}: --k8s-version ${versionProblem}`);
  const bootstrap = defaults.bootstrap ?? parentProvider?.kubernetes?.bootstrap;
  const spec: Record<string, unknown> = {
    provider: {
      kubernetes: bootstrap ? { version, bootstrap } : { version },
      config: { [provider]: providerConfig },
    },
    nodes: {
      controlPlane: options.controlPlaneNodes ?? (provider === "docker" ? 1 : 3),
      workers: options.workers ?? 2,
    },
    cellRef: parent.name,
  };
  if (options.cell) spec.cell = { enabled: true, host: options.cellHost ?? name };
  const value = { apiVersion: API_VERSION, kind: "LatticeCluster", metadata: { name }, spec };
  assertValid(LatticeClusterSchema, { value: value, action: action });

  const dir = childDir(parent.dir, name);
  const changes = new Changeset(root);
  const doc = newDocument(value, [["spec", "provider", "kubernetes", "version"]]);
  changes.create(joinPath(dir, CLUSTER_FILE), renderDocument(doc));
  const folders = options.cell ? [REGISTRATIONS_DIR, CHILDREN_DIR] : [PLACEMENTS_DIR];
  changes.create(joinPath(dir, KUSTOMIZATION_FILE), renderKustomization(folders));
  for (const folder of folders) {
    changes.create(joinPath(dir, folder, KUSTOMIZATION_FILE), renderKustomization([]));
  }
  addToFolder(changes, {
    clusterDir: parent.dir,
    folder: CHILDREN_DIR,
    hasFolder: parent.subdirs.has(CHILDREN_DIR),
    entry: `${name}/${CLUSTER_FILE}`,
  });
  return await changes.apply();
}

/** Options of {@linkcode deleteCluster}. */
export interface DeleteClusterOptions {
  /** Also delete the cluster's descendants (refused otherwise). */
  recursive?: boolean;
}

/** Removes a cluster's folder and its entry in the parent's children/kustomization.yaml. */
export async function deleteCluster(
  root: string,
  name: string,
  options: DeleteClusterOptions = {},
) {
  const action = `delete cluster ${name}`;
  const hierarchy = scanHierarchy(root);
  const node = findCluster(hierarchy, name);
  if (!node.parent) {
    throw new RepoError(`Cannot ${action}: it is the root cluster of the repository`);
  }
  const below = descendants(node);
  if (below.length > 0 && !options.recursive) {
    const names = node.children.map((c) => c.name).join(", ");
    throw new RepoError(
      `Cannot ${action}: it still has ${node.children.length} ` +
        `${node.children.length === 1 ? "child" : "children"} (${names}); ` +
        "delete them first or pass --recursive",
    );
  }
  const changes = new Changeset(root);
  changes.remove(
    displayDir(node.dir),
    below.length > 0 ? `with ${below.map((c) => c.name).join(", ")}` : undefined,
  );
  editKustomization(changes, {
    dir: joinPath(node.parent.dir, CHILDREN_DIR),
    remove: [`${name}/${CLUSTER_FILE}`],
  });
  return await changes.apply();
}
