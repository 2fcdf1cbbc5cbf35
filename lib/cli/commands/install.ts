/**
 * `lattice install`: bootstraps the root cluster through a temporary kind cluster running
 * Cluster API and a Lattice bootstrap cell, pivots the root onto itself and deletes the
 * kind cluster (lib/install, docs/install.md).
 */
import { DEFAULT_IMAGE } from "../../bundle/names.ts";
import { parseRootConfig } from "../../install/config.ts";
import { install } from "../../install/install.ts";
import { DEFAULT_KIND_NAME, DOCKER_DEFAULT_CNI, KindBootstrap } from "../../install/kind.ts";
import { missingPrerequisites } from "../../install/prerequisites.ts";
import { createLogger, type Level, LEVELS } from "../../log/mod.ts";
import { CliError, type Command, EXIT_USAGE, stringOption } from "../command.ts";
import { type GitSource, readGitSource } from "../../flux/mod.ts";

/** The `install` command. */
export const installCommand: Command = {
  name: "install",
  summary: "Bootstrap the first (root) cluster through a temporary kind cluster",
  usage:
    "lattice install --config FILE [--git-repo URL [--git-credentials FILE]] [--image IMAGE] [...]",
  description: "Creates a kind cluster with Cluster API (clusterctl init) and Lattice as a " +
    "bootstrap cell, provisions the root LatticeCluster from it (its join applies the CNI and " +
    "a Job installs Cluster API), pivots the root's Cluster API objects into the root, then " +
    "deletes the kind cluster. Needs docker, kind, clusterctl and kubectl. Safe to run again.",
  options: {
    config: { type: "string" },
    image: { type: "string" },
    "kubeconfig-out": { type: "string" },
    "bootstrap-name": { type: "string" },
    "cni-manifest": { type: "string" },
    "load-image": { type: "boolean" },
    "keep-bootstrap": { type: "boolean" },
    timeout: { type: "string" },
    "git-repo": { type: "string" },
    "git-credentials": { type: "string" },
    "git-branch": { type: "string" },
  },
  optionHelp: {
    config: "LatticeCluster manifest of the root cluster (a cell without cellRef)",
    image: `Lattice image the clusters run (default ${DEFAULT_IMAGE})`,
    "kubeconfig-out": "Where the root's admin kubeconfig is written (default ./<root>.kubeconfig)",
    "bootstrap-name": `Name of the kind cluster (default ${DEFAULT_KIND_NAME})`,
    "cni-manifest":
      "CNI manifests (file or URL) every new cluster applies (Docker provider: Calico by default)",
    "load-image": "Load --image from the local Docker engine into kind and the root's nodes",
    "keep-bootstrap": "Keep the kind cluster at the end (for debugging)",
    timeout: "Minutes the root may take to reach Ready (default 45)",
    "git-repo": "The cluster repository every cluster's Flux syncs (https:// or ssh://)",
    "git-credentials":
      "File with the repository's read credentials: user:password, a token, an SSH key or " +
      "a map of git-credentials Secret keys",
    "git-branch": "Branch the clusters follow (default main)",
  },
  async run(args, ctx) {
    const file = stringOption(args, "config");
    if (!file) throw new CliError("missing --config FILE (the root's LatticeCluster)", EXIT_USAGE);
    const minutes = Number(stringOption(args, "timeout") ?? "45");
    if (!Number.isFinite(minutes) || minutes <= 0) {
      throw new CliError(
        `invalid --timeout: ${stringOption(args, "timeout")} (minutes)`,
        EXIT_USAGE,
      );
    }
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new CliError(`Cannot read ${file}: ${(error as Error).message}`, 1, { cause: error });
    }
    let root;
    try {
      root = parseRootConfig(text, file);
    } catch (error) {
      throw new CliError((error as Error).message, 1, { cause: error });
    }
    let git: GitSource | undefined;
    const gitRepo = stringOption(args, "git-repo");
    const gitCredentials = stringOption(args, "git-credentials");
    if (gitCredentials && !gitRepo) {
      throw new CliError("--git-credentials needs --git-repo URL", EXIT_USAGE);
    }
    if (gitRepo) {
      git = await readGitSource(gitRepo, gitCredentials, stringOption(args, "git-branch"))
        .catch((error) => {
          throw new CliError((error as Error).message, EXIT_USAGE, { cause: error });
        });
    }
    const missing = await missingPrerequisites(undefined, ctx.env.PATH ?? "");
    if (missing.length > 0) {
      throw new CliError(
        `Cannot install: missing prerequisites (nothing was created):\n  - ${
          missing.join("\n  - ")
        }`,
      );
    }
    let cniManifest = stringOption(args, "cni-manifest");
    if (!cniManifest && "docker" in root.spec.provider.config) {
      cniManifest = DOCKER_DEFAULT_CNI;
      ctx.stdout(`No --cni-manifest: Docker machines bring no CNI; using Calico (${cniManifest})`);
    } else if (!cniManifest) {
      ctx.stdout(
        "No --cni-manifest: new clusters get no CNI from Lattice (their machine images must " +
          "bring one)",
      );
    }
    const level = (LEVELS as readonly string[]).includes(ctx.env.LATTICE_LOG ?? "")
      ? ctx.env.LATTICE_LOG as Level
      : "warn";
    const workDir = await Deno.makeTempDir({ prefix: "lattice-install-" });
    const kubeconfigOut = stringOption(args, "kubeconfig-out") ??
      `${root.metadata.name}.kubeconfig`;
    const backend = new KindBootstrap(root, {
      name: stringOption(args, "bootstrap-name"),
      image: stringOption(args, "image") ?? DEFAULT_IMAGE,
      loadImage: args.values["load-image"] === true,
      cniManifest: cniManifest,
      workDir,
      logger: createLogger({ level, format: "text", sink: ctx.stderr }),
    });
    try {
      const result = await install({
        root,
        backend,
        kubeconfigOut,
        keepBootstrap: args.values["keep-bootstrap"] === true,
        timeoutMs: minutes * 60_000,
        git,
        print: ctx.stdout,
      });
      ctx.stdout("");
      ctx.stdout(`${root.metadata.name} is Ready and manages itself.`);
      ctx.stdout(`  kubectl --kubeconfig ${kubeconfigOut} get latticeclusters`);
      ctx.stdout("Timeline:");
      for (const line of result.timeline) ctx.stdout(`  ${line}`);
    } catch (error) {
      throw new CliError(
        `${(error as Error).message}\nWhat to do: fix the cause and run lattice install again ` +
          `(it reuses the kind cluster ${backend.description.replace(/^kind cluster /, "")}).`,
        1,
        { cause: error },
      );
    } finally {
      await Deno.remove(workDir, { recursive: true }).catch(() => {});
    }
    return 0;
  },
};
