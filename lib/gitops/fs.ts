/**
 * File access for the repository model: repo-relative paths over one absolute root, and
 * the discovery of the repository from the working directory.
 */
import { RepoError } from "./errors.ts";
import { CLUSTER_FILE } from "./layout.ts";

/** Absolute path of a repo-relative path. */
export function abs(root: string, rel: string): string {
  return rel === "" ? root : `${root}/${rel}`;
}

/** Reads a text file, or undefined when it does not exist. */
export function readTextOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Whether a path exists. */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}

/** Entries of a folder (name and whether it is a real folder, never following links). */
export function listDir(path: string): { name: string; isDir: boolean; isFile: boolean }[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => ({
      name: e.name,
      isDir: e.isDirectory,
      isFile: e.isFile,
    }));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw error;
  }
}

/** Options of {@linkcode findRepoRoot}. */
export interface FindRepoOptions {
  /** `--repo DIR`, relative to `cwd` when not absolute. */
  repo?: string;
}

/**
 * The repository to work on: `--repo DIR`, else the git root of `cwd` (the closest
 * folder holding `.git`). Throws a RepoError when there is none or it has no cluster.yaml.
 */
export function findRepoRoot(cwd: string, options: FindRepoOptions = {}): string {
  let root: string | undefined;
  if (options.repo !== undefined) {
    root = resolve(cwd, options.repo);
  } else {
    for (let dir = resolve(cwd, ".");; dir = parentOf(dir)) {
      if (exists(`${dir}/.git`)) {
        root = dir;
        break;
      }
      if (parentOf(dir) === dir) break;
    }
    if (root === undefined) {
      throw new RepoError(
        `Cannot find the cluster repository: ${cwd} is not inside a git checkout ` +
          "(pass --repo DIR, or run 'lattice init --provider P' to create one)",
      );
    }
  }
  if (!exists(`${root}/${CLUSTER_FILE}`)) {
    throw new RepoError(
      `Cannot use ${root} as the cluster repository: it has no ${CLUSTER_FILE} at its root ` +
        "(run 'lattice init --provider P' to create one)",
    );
  }
  return root;
}

/** Resolves `path` against `base` and normalizes `.` and `..` (POSIX paths). */
export function resolve(base: string, path: string): string {
  const full = path.startsWith("/") ? path : `${base}/${path}`;
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

function parentOf(dir: string): string {
  const i = dir.lastIndexOf("/");
  return i <= 0 ? "/" : dir.slice(0, i);
}
