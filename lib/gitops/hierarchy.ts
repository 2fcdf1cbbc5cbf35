/**
 * The folder tree of a cluster repository, read without parsing cluster files: a cluster
 * is a folder holding cluster.yaml; its children are the folders under its `children/`.
 * Commands that only need the shape (tree, create, delete, lookups) stay fast on
 * repositories with thousands of clusters.
 */
import { parseDocument } from "yaml";
import { closest } from "../cli/suggest.ts";
import { RepoError } from "./errors.ts";
import { abs, listDir, readTextOrUndefined } from "./fs.ts";
import { readResources } from "./kustomization.ts";
import { lineAt } from "./yaml_doc.ts";
import {
  childDir,
  CHILDREN_DIR,
  CLUSTER_FILE,
  clusterFile,
  joinPath,
  KUSTOMIZATION_FILE,
} from "./layout.ts";

/** One cluster folder. */
export interface ClusterNode {
  /** The folder name (the root: metadata.name of the root cluster.yaml). */
  name: string;
  /** Repo-relative folder, "" for the root. */
  dir: string;
  parent?: ClusterNode;
  /** Children in the order their parent's children/kustomization.yaml lists them. */
  children: ClusterNode[];
  /** Names of the sub-folders of this cluster's folder. */
  subdirs: Set<string>;
  /** Whether the folder holds a cluster.yaml (a folder under children/ may not). */
  hasClusterFile: boolean;
  depth: number;
}

/** The whole folder tree. */
export interface Hierarchy {
  /** Absolute path of the repository. */
  root: string;
  rootNode: ClusterNode;
  /** Every cluster folder, depth first, children in listed order. */
  nodes: ClusterNode[];
  /** Folders by name; more than one entry means a duplicate name. */
  byName: Map<string, ClusterNode[]>;
  /**
   * YAML syntax errors in the files the scan read (the root cluster.yaml, children/
   * kustomizations), as `path:line:column: invalid YAML: message`.
   */
  problems: string[];
}

// Deeper than any real fleet; stops runaway recursion on a malformed tree.
const MAX_DEPTH = 64;

/** Reads the folder tree of the repository at `root`. */
export function scanHierarchy(root: string): Hierarchy {
  const problems: string[] = [];
  const rootNode = makeNode(root, rootName(root, problems), "", undefined);
  const nodes: ClusterNode[] = [];
  const byName = new Map<string, ClusterNode[]>();
  const stack = [rootNode];
  while (stack.length > 0) {
    const node = stack.pop()!;
    nodes.push(node);
    const same = byName.get(node.name);
    if (same) same.push(node);
    else byName.set(node.name, [node]);
    if (!node.subdirs.has(CHILDREN_DIR) || node.depth >= MAX_DEPTH) continue;
    const childrenDir = joinPath(node.dir, CHILDREN_DIR);
    const names = listDir(abs(root, childrenDir)).filter((e) => e.isDir).map((e) => e.name);
    for (const name of orderChildren(root, { childrenDir, names, problems })) {
      node.children.push(makeNode(root, name, childDir(node.dir, name), node));
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  return { root, rootNode, nodes, byName, problems };
}

/** Throws a RepoError naming the first file (and line) the scan could not parse. */
export function assertParsed(hierarchy: Hierarchy): void {
  const [first, ...more] = hierarchy.problems;
  if (first === undefined) return;
  throw new RepoError(
    `${first}${more.length > 0 ? ` (and ${more.length} more broken files)` : ""}; ` +
      "fix the file (or run 'lattice validate') and retry",
  );
}

/** The cluster called `name`; throws a RepoError naming the known clusters when absent. */
export function findCluster(hierarchy: Hierarchy, name: string): ClusterNode {
  assertParsed(hierarchy);
  const found = hierarchy.byName.get(name);
  if (found && found[0].hasClusterFile) return found[0];
  throw new RepoError(
    `Cannot find cluster '${name}': no folder named ${name} with a ${CLUSTER_FILE} in ` +
      `${hierarchy.root}${suggestion(hierarchy, name)}`,
  );
}

/** The cluster and its ancestors, nearest first. */
export function lineage(node: ClusterNode): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (let n: ClusterNode | undefined = node; n; n = n.parent) out.push(n);
  return out;
}

/** Every descendant of `node` (not the node itself), depth first. */
export function descendants(node: ClusterNode): ClusterNode[] {
  const out: ClusterNode[] = [];
  const visit = (n: ClusterNode) => {
    for (const c of n.children) {
      out.push(c);
      visit(c);
    }
  };
  visit(node);
  return out;
}

function makeNode(
  root: string,
  name: string,
  dir: string,
  parent: ClusterNode | undefined,
): ClusterNode {
  // The hot loop of a scan (once per cluster): iterate the entries directly.
  const subdirs = new Set<string>();
  let hasClusterFile = false;
  try {
    for (const entry of Deno.readDirSync(abs(root, dir))) {
      if (entry.isDirectory) subdirs.add(entry.name);
      else if (entry.isFile && entry.name === CLUSTER_FILE) hasClusterFile = true;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return {
    name,
    dir,
    parent,
    children: [],
    subdirs,
    hasClusterFile,
    depth: parent ? parent.depth + 1 : 0,
  };
}

/** Folder names in kustomization order, then the unlisted ones alphabetically. */
function orderChildren(
  root: string,
  scan: { childrenDir: string; names: string[]; problems: string[] },
): string[] {
  const { childrenDir, names } = scan;
  const path = joinPath(childrenDir, KUSTOMIZATION_FILE);
  const text = readTextOrUndefined(abs(root, path));
  const read = text === undefined ? undefined : readResources(text);
  if (read?.error) {
    const message = read.error.message.split("\n")[0];
    scan.problems.push(
      `${path}:${read.error.line}: ${
        message.startsWith("resources:") ? message : `invalid YAML: ${message}`
      }`,
    );
  }
  const listed = read?.resources ?? [];
  const present = new Set(names);
  const ordered: string[] = [];
  for (const entry of listed) {
    const name = entry.endsWith(`/${CLUSTER_FILE}`) ? entry.slice(0, -CLUSTER_FILE.length - 1) : "";
    if (present.delete(name)) ordered.push(name);
  }
  return [...ordered, ...[...present].sort()];
}

/** The root cluster's name, read from its cluster.yaml ("root" when unreadable). */
function rootName(root: string, problems: string[]): string {
  const path = clusterFile("");
  const text = readTextOrUndefined(abs(root, path)) ?? "";
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    problems.push(`${path}:${lineAt(text, e.pos[0])}: invalid YAML: ${e.message.split("\n")[0]}`);
    return "root";
  }
  const name = (doc.toJS() as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === "string" && name !== "" ? name : "root";
}

function suggestion(hierarchy: Hierarchy, name: string): string {
  const known = [...hierarchy.byName.entries()].filter(([, n]) => n[0].hasClusterFile)
    .map(([k]) => k);
  const close = closest(name, known);
  const inside = known.filter((n) => !close.includes(n) && (n.includes(name) || name.includes(n)));
  const all = [...close, ...inside].slice(0, 5);
  return all.length > 0 ? ` (did you mean ${all.join(", ")}?)` : "";
}
