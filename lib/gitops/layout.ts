/**
 * The cluster repository's layout: which file and folder names mean what, and how a
 * cluster's folder follows from its parent's. Paths here are repo-relative with `/`.
 */

/** A cluster's definition file inside its folder. */
export const CLUSTER_FILE = "cluster.yaml";
/** Kustomize's file listing what a folder applies. */
export const KUSTOMIZATION_FILE = "kustomization.yaml";
/** Folder of a cell's child clusters. */
export const CHILDREN_DIR = "children";
/** Folder of a cluster's service registrations (the catalog at that level). */
export const REGISTRATIONS_DIR = "registrations";
/** Folder of the services placed on a cluster. */
export const PLACEMENTS_DIR = "placements";
/** The repository config file. */
export const CONFIG_FILE = ".lattice/config.yaml";
/** The sub-folders a cluster folder's kustomization lists, in the order it lists them. */
export const CLUSTER_SUBDIRS = [REGISTRATIONS_DIR, CHILDREN_DIR, PLACEMENTS_DIR] as const;
/** apiVersion of kustomization.yaml files. */
export const KUSTOMIZE_API_VERSION = "kustomize.config.k8s.io/v1beta1";

/** Joins repo-relative path parts, skipping empty ones (the root folder is ""). */
export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/");
}

/** The folder of a child named `name` of the cluster whose folder is `parentDir`. */
export function childDir(parentDir: string, name: string): string {
  return joinPath(parentDir, CHILDREN_DIR, name);
}

/** The cluster.yaml path of the cluster whose folder is `dir`. */
export function clusterFile(dir: string): string {
  return joinPath(dir, CLUSTER_FILE);
}

/** How a folder is shown to people: `children/us/` for folders, `.` for the root. */
export function displayDir(dir: string): string {
  return dir === "" ? "./" : `${dir}/`;
}
