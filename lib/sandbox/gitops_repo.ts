/**
 * The sandbox's cluster repository: a real git repository (branch main) laid out as
 * gitops.md describes, holding the example fleet. The cluster the bootstrap cell provisions
 * is the repository's root (its folder is `./`); every other cluster sits under its parent's
 * `children/`. The `lattice` CLI edits it and `git commit` publishes a change: the sandbox's
 * git server serves this very repository to every cluster's source-controller.
 */
import { stringify } from "yaml";
import type { LatticeClusterInput } from "../api/mod.ts";
import {
  CHILDREN_DIR,
  CLUSTER_FILE,
  CONFIG_FILE,
  joinPath,
  KUSTOMIZATION_FILE,
  PLACEMENTS_DIR,
  REGISTRATIONS_DIR,
} from "../gitops/layout.ts";
import { renderKustomization } from "../gitops/kustomization.ts";

/** Options for {@linkcode createSandboxRepo}. */
export interface SandboxRepoOptions {
  /** The repository folder (created; must not hold a repository yet). */
  dir: string;
  /** Every cluster; the one whose cellRef is `rootParent` is the repository root. */
  clusters: LatticeClusterInput[];
  /** The cell that provisions the root (the sandbox's bootstrap cell). */
  rootParent: string;
  /** `.lattice/config.yaml`'s Flux version; none when omitted. */
  fluxVersion?: string;
  /** `.lattice/config.yaml`'s Flux interval. */
  fluxInterval?: string;
}

/** Runs git in `dir` as the sandbox's committer; answers its trimmed output. */
export async function sandboxGit(dir: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: [
      "-C",
      dir,
      "-c",
      "user.name=Lattice Sandbox",
      "-c",
      "user.email=sandbox@lattice.dev",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`Cannot run git ${args[0]}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

const git = sandboxGit;

/** Commits everything in the repository (`git add -A && git commit`); answers the new HEAD. */
export async function commitAll(dir: string, message: string): Promise<string> {
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "--allow-empty", "-m", message);
  return await git(dir, "rev-parse", "HEAD");
}

/** Writes the example fleet as a repository and commits it; answers the files written. */
export async function createSandboxRepo(options: SandboxRepoOptions): Promise<string[]> {
  const { dir, clusters } = options;
  const root = clusters.find((c) => c.spec.cellRef === options.rootParent);
  if (!root) {
    throw new Error(`Cannot create the sandbox repository: no child of ${options.rootParent}`);
  }
  const folders = new Map<string, string>([[root.metadata.name, ""]]);
  const pending = clusters.filter((c) => c !== root);
  while (pending.length) {
    const next = pending.findIndex((c) => folders.has(c.spec.cellRef ?? ""));
    if (next < 0) {
      throw new Error(
        `Cannot create the sandbox repository: ${pending[0].metadata.name}'s parent ` +
          `${pending[0].spec.cellRef} is not in the fleet`,
      );
    }
    const c = pending.splice(next, 1)[0];
    folders.set(
      c.metadata.name,
      joinPath(folders.get(c.spec.cellRef!)!, CHILDREN_DIR, c.metadata.name),
    );
  }
  const files = new Map<string, string>();
  for (const c of clusters) {
    const folder = folders.get(c.metadata.name)!;
    const kids = clusters.filter((k) => k.spec.cellRef === c.metadata.name);
    const isCell = c.spec.cell !== undefined;
    // The root's own cluster.yaml is documentation (its parent is outside the repository).
    const doc = c === root ? { ...c, spec: { ...c.spec, cellRef: undefined } } : c;
    files.set(joinPath(folder, CLUSTER_FILE), stringify(JSON.parse(JSON.stringify(doc))));
    const subdirs: string[] = [];
    if (isCell) {
      subdirs.push(REGISTRATIONS_DIR, CHILDREN_DIR);
      files.set(joinPath(folder, REGISTRATIONS_DIR, KUSTOMIZATION_FILE), renderKustomization([]));
      files.set(
        joinPath(folder, CHILDREN_DIR, KUSTOMIZATION_FILE),
        renderKustomization(kids.map((k) => `${k.metadata.name}/${CLUSTER_FILE}`)),
      );
    } else {
      subdirs.push(PLACEMENTS_DIR);
      files.set(joinPath(folder, PLACEMENTS_DIR, KUSTOMIZATION_FILE), renderKustomization([]));
    }
    files.set(joinPath(folder, KUSTOMIZATION_FILE), renderKustomization(subdirs));
  }
  const flux: Record<string, string> = {};
  if (options.fluxVersion) flux.version = options.fluxVersion;
  if (options.fluxInterval) flux.interval = options.fluxInterval;
  files.set(
    CONFIG_FILE,
    stringify({
      apiVersion: "lattice.dev/v1alpha1",
      kind: "LatticeRepoConfig",
      metadata: { name: "config" },
      spec: { git: { defaultBranch: "main" }, ...(Object.keys(flux).length ? { flux } : {}) },
    }),
  );
  files.set(
    "README.md",
    "# Lattice sandbox cluster repository\n\nEdit with the `lattice` CLI, then `git commit`: " +
      "every sandbox cluster's Flux syncs its own folder of this repository.\n",
  );
  await Deno.mkdir(dir, { recursive: true });
  for (const [path, content] of files) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
  await git(dir, "init", "-q", "-b", "main");
  await commitAll(dir, "Lattice sandbox fleet");
  return [...files.keys()].sort();
}
