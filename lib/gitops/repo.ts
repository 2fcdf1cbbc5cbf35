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
import type { Document } from "yaml";
import { parseSimpleYaml } from "./fast_yaml.ts";
import { parseYamlFile, syntaxProblem, type YamlFile } from "./yaml_doc.ts";
import { RepoError } from "./errors.ts";
import { assertParsed } from "./hierarchy.ts";

/**
 * A file and its plain value (undefined when the YAML does not parse). Files in the
 * simple subset are read by the fast reader; their Document (for line numbers and edits)
 * is parsed only when asked for.
 */
export interface LoadedFile extends YamlFile {
  value: unknown;
  /** Whether the fast reader accepted the file (then it has no syntax errors). */
  readonly simple: boolean;
}

class LazyFile implements LoadedFile {
  readonly path: string;
  readonly text: string;
  readonly value: unknown;
  readonly simple: boolean;
  #doc: Document | undefined;

  constructor(path: string, text: string, strict: boolean) {
    this.path = path;
    this.text = text;
    const fast = parseSimpleYaml(text);
    this.simple = fast !== undefined;
    if (fast !== undefined) this.value = fast;
    else {
      this.#doc = parseYamlFile(path, text).doc;
      this.value = this.#doc.errors.length === 0 ? this.#doc.toJS() : undefined;
      const problem = strict ? syntaxProblem(this) : undefined;
      if (problem) {
        throw new RepoError(`${problem}; fix the file (or run 'lattice validate') and retry`);
      }
    }
  }

  get doc(): Document {
    this.#doc ??= parseYamlFile(this.path, this.text).doc;
    return this.#doc;
  }
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
  /** Texts of the kustomization.yaml files read so far, by repo-relative path. */
  kustomizations: Map<string, string | undefined>;
}

/** The text of `dir/kustomization.yaml` (undefined when missing), read once per repo. */
export function kustomizationText(repo: Repo, dir: string): string | undefined {
  const path = joinPath(dir, KUSTOMIZATION_FILE);
  if (!repo.kustomizations.has(path)) {
    repo.kustomizations.set(path, readTextOrUndefined(abs(repo.hierarchy.root, path)));
  }
  return repo.kustomizations.get(path);
}

/** Options of {@linkcode loadRepo}. */
export interface LoadRepoOptions {
  /** Also read registrations/ and placements/ (default true). */
  services?: boolean;
  /**
   * Throw a RepoError naming the file and line of the first YAML syntax error (the CLI's
   * commands); without it, such files load with an undefined value (`validate` reports them).
   */
  strict?: boolean;
}

/** Reads and parses the repository at `root`. */
export function loadRepo(root: string, options: LoadRepoOptions = {}): Repo {
  const hierarchy = scanHierarchy(root);
  const strict = options.strict ?? false;
  if (strict) assertParsed(hierarchy);
  const services = options.services ?? true;
  const repo: Repo = { hierarchy, clusters: [], kustomizations: new Map() };
  const folder = (node: ClusterNode, name: string) =>
    services
      ? loadFolder(root, {
        node,
        folder: name,
        strict,
        readKustomization: (dir) => kustomizationText(repo, dir),
      })
      : [];
  repo.clusters = hierarchy.nodes.map((node): LoadedCluster => ({
    node,
    file: node.hasClusterFile ? loadFile(root, clusterFile(node.dir), { strict }) : undefined,
    registrations: folder(node, REGISTRATIONS_DIR),
    placements: folder(node, PLACEMENTS_DIR),
  }));
  repo.config = loadFile(root, CONFIG_FILE, { strict });
  if (strict) {
    for (const node of hierarchy.nodes) {
      const path = joinPath(node.dir, KUSTOMIZATION_FILE);
      assertKustomizationParses(path, kustomizationText(repo, node.dir));
    }
  }
  return repo;
}

/**
 * Reads and parses one repo-relative file; undefined when it does not exist. With
 * `strict`, a YAML syntax error throws a RepoError naming the file and line.
 */
export function loadFile(
  root: string,
  path: string,
  options: { strict?: boolean } = {},
): LoadedFile | undefined {
  const text = readTextOrUndefined(abs(root, path));
  return text === undefined ? undefined : new LazyFile(path, text, options.strict ?? false);
}

/** Which folder {@linkcode loadFolder} reads. */
export interface FolderTarget {
  node: ClusterNode;
  /** registrations or placements. */
  folder: string;
  /** Reads `dir/kustomization.yaml` (default: from disk; the Repo passes its cache). */
  readKustomization?: (dir: string) => string | undefined;
  /** Throw on YAML syntax errors (see {@linkcode loadFile}). */
  strict?: boolean;
}

/**
 * The YAML files of one of a cluster's folders (registrations/ or placements/), in the
 * order its kustomization lists them, then the unlisted ones by name.
 */
export function loadFolder(root: string, target: FolderTarget): LoadedFile[] {
  const { node, folder } = target;
  const readKustomization = target.readKustomization ??
    ((dir: string) => readTextOrUndefined(abs(root, joinPath(dir, KUSTOMIZATION_FILE))));
  if (!node.subdirs.has(folder)) return [];
  const dir = joinPath(node.dir, folder);
  const names = yamlFileNames(abs(root, dir));
  const text = readKustomization(dir);
  if (target.strict) assertKustomizationParses(joinPath(dir, KUSTOMIZATION_FILE), text);
  const listed = text === undefined ? [] : readResources(text).resources;
  const ordered = [...listed.filter((n) => names.includes(n))];
  for (const n of names) if (!ordered.includes(n)) ordered.push(n);
  return ordered
    .map((name) => loadFile(root, joinPath(dir, name), { strict: target.strict }))
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

function assertKustomizationParses(path: string, text: string | undefined): void {
  const error = text === undefined ? undefined : readResources(text).error;
  if (!error) return;
  const message = error.message.split("\n")[0];
  throw new RepoError(
    `${path}:${error.line}: ${
      message.startsWith("resources:") ? message : `invalid YAML: ${message}`
    }` +
      "; fix the file (or run 'lattice validate') and retry",
  );
}
