/**
 * `lattice init [DIR]`: a new cluster repository with its root cell.
 */
import { CliError, type Command, EXIT_USAGE } from "../../cli/command.ts";
import { stringOption } from "../../cli/command.ts";
import { exists, resolve } from "../fs.ts";
import { DEFAULT_INIT_K8S_VERSION, initRepo } from "../init.ts";
import { normalizeVersion } from "../versions.ts";
import { gitopsCommand, intOption, printChanges } from "./_common.ts";
import { applyProviderFlags, PROVIDER_HELP, PROVIDER_OPTIONS } from "./provider_flags.ts";

/** `lattice init`. */
export const initCommand: Command = gitopsCommand({
  name: "init",
  summary: "Create a new cluster repository (root cell, kustomizations, .lattice/config.yaml)",
  usage: "lattice init [DIR] --provider P [provider flags] [--name NAME] [--k8s-version V] " +
    "[--bootstrap kubeadm|rke2] [--cell-host H] [--control-plane-nodes N] [--worker-nodes N]",
  description: "Writes cluster.yaml (the root cell), kustomization.yaml, registrations/, " +
    "children/ and .lattice/config.yaml into DIR (default: the current folder), and runs " +
    "`git init` there when DIR is not inside a git checkout. Re-running it with the same " +
    "flags changes nothing. The provider's required fields are flags (below).",
  options: {
    name: { type: "string" },
    provider: { type: "string" },
    "k8s-version": { type: "string" },
    bootstrap: { type: "string" },
    "cell-host": { type: "string" },
    "control-plane-nodes": { type: "string" },
    "worker-nodes": { type: "string" },
    workers: { type: "string" },
    branch: { type: "string" },
    ...PROVIDER_OPTIONS,
  },
  optionHelp: {
    name: "Name of the root cell (default: root)",
    provider: "docker, aws, openstack, proxmox, gcp or azure (required)",
    "k8s-version":
      `Kubernetes version of the root and default of new clusters (default ${DEFAULT_INIT_K8S_VERSION})`,
    bootstrap: "kubeadm (default) or rke2",
    "cell-host": "Address children use to reach the root cell (default: its name)",
    "control-plane-nodes": "Control-plane machines (default 3; 1 for docker)",
    "worker-nodes": "Worker machines (default 2)",
    workers: "Same as --worker-nodes",
    branch: "Branch Flux follows (default main)",
    ...PROVIDER_HELP,
  },
  async run(args, ctx) {
    if (args.positionals.length > 1) {
      throw new CliError(
        `expected at most one DIR, got ${args.positionals.join(" ")}`,
        EXIT_USAGE,
      );
    }
    const dir = resolve(ctx.cwd, args.positionals[0] ?? ".");
    const provider = stringOption(args, "provider", true);
    const action = `init ${dir}`;
    const version = stringOption(args, "k8s-version");
    const changes = await initRepo(dir, {
      name: stringOption(args, "name") ?? "root",
      provider,
      k8sVersion: version === undefined ? undefined : normalizeVersion(version),
      bootstrap: stringOption(args, "bootstrap"),
      cellHost: stringOption(args, "cell-host"),
      branch: stringOption(args, "branch"),
      controlPlaneNodes: intOption(args, { name: "control-plane-nodes", min: 1, max: 15 }),
      workers: intOption(args, { name: "worker-nodes", min: 0, max: 5000 }) ??
        intOption(args, { name: "workers", min: 0, max: 5000 }),
      configure: (p, config) => applyProviderFlags(args, { provider: p, config, action }),
    });
    printChanges(ctx, changes);
    if (!insideGit(dir)) {
      const git = await new Deno.Command("git", {
        args: ["init", "--quiet", "--initial-branch", stringOption(args, "branch") ?? "main"],
        cwd: dir,
        stdout: "null",
        stderr: "piped",
      }).output().catch(() => undefined);
      if (git?.success) ctx.stdout(`Initialized git repository in ${dir}`);
      else ctx.stderr(`note: ${dir} is not a git checkout and 'git init' failed; run it yourself`);
    }
    return 0;
  },
});

function insideGit(dir: string): boolean {
  for (let d = dir;; d = d.slice(0, Math.max(d.lastIndexOf("/"), 1))) {
    if (exists(`${d}/.git`)) return true;
    if (d === "/" || d === "") return false;
  }
}
