/**
 * The full repository model: the folder tree plus every parsed file (clusters,
 * registrations, placements, the repo config). `list` and `validate` read it whole;
 * editing commands read only the files they touch.
 */
import { abs, listDir, readTextOrUndefined } from "./fs.ts";
import { type ClusterNode, type Hierarchy, scanHierarchy } from "./hierarchy.ts";
import { readResources } from "./kustomization.ts";
import {
  clusterFile,
  CONFIG_FILE,
  joinPath,
  KUSTOMIZATION_FILE,
  PLACEMENTS_DIR,
  REGISTRATIONS_DIR,
} from "./layout.ts";
import { parseYamlFile, type YamlFile } from "./yaml_doc.ts";

/** A parsed file and its plain value (undefined when the YAML does not parse). */
export interface LoadedFile extends YamlFile {
  value: unknown;
}

/** A cluster folder with its parsed files. */
export interface LoadedCluster {
  node: ClusterNode;
  /** cluster.yaml, absent when the folder has none. */
  file?: LoadedFile;
  /** registrations/*.yaml (without the kustomization), by file name order. */
  registrations: LoadedFile[];
  /** placements/*.yaml (without the kustomization), by file name order. */
  placements: LoadedFile[];
}

/** The whole repository. */
export interface Repo {
  hierarchy: Hierarchy;
  /** Every cluster folder, in hierarchy order. */
  clusters: LoadedCluster[];
  /** .lattice/config.yaml when present. */
  config?: LoadedFile;
}

/** Options of {@linkcode loadRepo}. */
export interface LoadRepoOptions {
  /** Also read registrations/ and placements/ (default true). */
  services?: boolean;
}

/** Reads and parses the repository at `root`. */
export function loadRepo(root: string, options: LoadRepoOptions = {}): Repo {
  const hierarchy = scanHierarchy(root);
  const services = options.services ?? true;
  const clusters = hierarchy.nodes.map((node): LoadedCluster => ({
    node,
    file: node.hasClusterFile ? loadFile(root, clusterFile(node.dir)) : undefined,
    registrations: services ? loadFolder(root, node, REGISTRATIONS_DIR) : [],
    placements: services ? loadFolder(root, node, PLACEMENTS_DIR) : [],
  }));
  const configText = readTextOrUndefined(abs(root, CONFIG_FILE));
  const config = configText === undefined ? undefined : toLoaded(CONFIG_FILE, configText);
  return { hierarchy, clusters, config };
}

/** Reads and parses one repo-relative file; undefined when it does not exist. */
export function loadFile(root: string, path: string): LoadedFile | undefined {
  const text = readTextOrUndefined(abs(root, path));
  return text === undefined ? undefined : toLoaded(path, text);
}

/**
 * The YAML files of one of a cluster's folders (registrations/ or placements/), in the
 * order its kustomization lists them, then the unlisted ones by name.
 */
export function loadFolder(root: string, node: ClusterNode, folder: string): LoadedFile[] {
  if (!node.subdirs.has(folder)) return [];
  const dir = joinPath(node.dir, folder);
  const names = yamlFileNames(abs(root, dir));
  const text = readTextOrUndefined(abs(root, joinPath(dir, KUSTOMIZATION_FILE)));
  const listed = text === undefined ? [] : readResources(text).resources;
  const ordered = [...listed.filter((n) => names.includes(n))];
  for (const n of names) if (!ordered.includes(n)) ordered.push(n);
  return ordered
    .map((name) => loadFile(root, joinPath(dir, name)))
    .filter((f): f is LoadedFile => f !== undefined);
}

/** Names of the resource files in a folder: *.yaml and *.yml except the kustomization. */
export function yamlFileNames(absDir: string): string[] {
  return listDir(absDir)
    .filter((e) => e.isFile && /\.ya?ml$/.test(e.name) && e.name !== KUSTOMIZATION_FILE)
    .map((e) => e.name)
    .sort();
}

/** The resource name a file stands for: its file name without the extension. */
export function resourceName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1).replace(/\.ya?ml$/, "");
}

function toLoaded(path: string, text: string): LoadedFile {
  const file = parseYamlFile(path, text);
  const value = file.doc.errors.length === 0 ? file.doc.toJS() : undefined;
  return { ...file, value };
}
