/**
 * What Flux a child should run, decided by its parent cell (spec: gitops.md, "Flux
 * Management"; seed 002):
 *
 * - version: the child's `spec.flux.version`, else the repository config's
 *   (`.lattice/config.yaml` `spec.flux.version`), else the parent's own running version,
 *   else the newest release this Lattice vendors;
 * - interval: the child's `spec.flux.interval`, else the repository's, else 1m;
 * - suspend: the child's `spec.flux.suspend`;
 * - source: the parent's own repository URL, branch and credentials (one repository for the
 *   whole fleet); path: the child's folder, `<parent's folder>/children/<name>` — or the
 *   repository root for a child of a bootstrap cell (the root cluster).
 */
import { Buffer } from "node:buffer";
import type { FluxInstallCommand } from "../proto/lattice/agent/v1/agent.ts";
import { DEFAULT_COMPONENTS, DEFAULT_INTERVAL } from "./names.ts";
import { DEFAULT_FLUX_VERSION } from "./releases.ts";
import type { RepoFlux } from "./repo_config.ts";

/** Where the fleet's repository is, as the parent follows it. */
export interface FleetSource {
  repoUrl: string;
  branch: string;
  credentials: Uint8Array;
  /** The parent's folder in the repository; undefined for a bootstrap cell (no folder). */
  parentPath?: string;
  /** Folder of the bootstrap cell's child (the repository root, ""), when bootstrap. */
  rootPath?: string;
}

/** The child's own Flux settings (`spec.flux`). */
export interface ChildFlux {
  version?: string;
  interval?: string;
  suspend?: boolean;
}

/** Inputs of {@linkcode resolveChildFlux}. */
export interface ResolveInput {
  childName: string;
  child?: ChildFlux;
  /** The repository config as the parent sees it (else as the child reports it). */
  repo: RepoFlux;
  /** The version the parent runs itself, when it runs Flux. */
  parentVersion?: string;
  source: FleetSource;
  components?: readonly string[];
}

/** Normalizes a folder: no leading `./` or `/`, no trailing `/`; the root is "". */
export function normalizePath(path: string): string {
  return path.replace(/^\.\/?/, "").replace(/^\/+/, "").replace(/\/+$/, "");
}

/** The child's folder in the repository. */
export function childPath(source: FleetSource, childName: string): string {
  if (source.parentPath === undefined) return normalizePath(source.rootPath ?? "");
  const parent = normalizePath(source.parentPath);
  return [parent, "children", childName].filter(Boolean).join("/");
}

/** Where each setting came from, for messages and tests. */
export type VersionOrigin = "cluster" | "repository" | "parent" | "default";

/** The FluxInstallCommand the child should have been sent, and where its version came from. */
export function resolveChildFlux(
  input: ResolveInput,
): { command: FluxInstallCommand; origin: VersionOrigin } {
  const { child, repo } = input;
  const [version, origin]: [string, VersionOrigin] = child?.version
    ? [child.version, "cluster"]
    : repo.version
    ? [repo.version, "repository"]
    : input.parentVersion
    ? [input.parentVersion, "parent"]
    : [DEFAULT_FLUX_VERSION, "default"];
  return {
    origin,
    command: {
      version: version.replace(/^v/, ""),
      repoUrl: input.source.repoUrl,
      branch: input.source.branch || "main",
      path: childPath(input.source, input.childName),
      gitCredentials: Buffer.from(input.source.credentials),
      components: [...(input.components ?? DEFAULT_COMPONENTS)],
      interval: child?.interval ?? repo.interval ?? DEFAULT_INTERVAL,
      suspend: child?.suspend === true,
      force: false,
    },
  };
}

/** What must match for an install to be current (everything but the version). */
export function installKey(command: FluxInstallCommand): string {
  const creds = Array.from(command.gitCredentials ?? []).reduce(
    (h, b) => (h * 31 + b) >>> 0,
    7,
  );
  return JSON.stringify([
    command.repoUrl,
    command.branch,
    command.path,
    creds,
    command.gitCredentials?.length ?? 0,
    command.components,
    command.interval,
    command.suspend,
  ]);
}
