/**
 * `lattice flux set-version|suspend|resume`.
 */
import { type Command, stringOption } from "../../cli/command.ts";
import { normalizeVersion } from "../versions.ts";
import { setFluxSuspended, setFluxVersion } from "../cluster_update.ts";
import {
  gitopsCommand,
  positional,
  printChanges,
  REPO_HELP,
  REPO_OPTION,
  repoRoot,
} from "./_common.ts";

const setVersion = gitopsCommand({
  name: "set-version",
  summary: "Set the Flux version of every cluster, or pin one cluster's",
  usage: "lattice flux set-version VERSION [--cluster C]",
  options: { ...REPO_OPTION, cluster: { type: "string" } },
  optionHelp: { ...REPO_HELP, cluster: "Pin this cluster instead of setting .lattice/config.yaml" },
  async run(args, ctx) {
    const version = normalizeVersion(positional(args, "VERSION"));
    const root = repoRoot(args, ctx);
    const cluster = stringOption(args, "cluster");
    return printChanges(ctx, await setFluxVersion(root, { version, cluster }));
  },
});

function suspendCommand(suspend: boolean): Command {
  const verb = suspend ? "suspend" : "resume";
  return gitopsCommand({
    name: verb,
    summary: suspend ? "Stop Flux syncing a cluster" : "Let Flux sync a suspended cluster again",
    usage: `lattice flux ${verb} CLUSTER`,
    options: REPO_OPTION,
    optionHelp: REPO_HELP,
    async run(args, ctx) {
      const name = positional(args, "CLUSTER");
      return printChanges(
        ctx,
        await setFluxSuspended(repoRoot(args, ctx), { cluster: name, suspend }),
      );
    },
  });
}

/** `lattice flux`. */
export const fluxCommand: Command = {
  name: "flux",
  summary: "Set the Flux version, suspend or resume Flux on clusters",
  usage: "lattice flux <set-version|suspend|resume> [options]",
  subcommands: [setVersion, suspendCommand(true), suspendCommand(false)],
};
