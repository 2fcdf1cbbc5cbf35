/**
 * The `lattice` command tree.
 */
import type { Command } from "./command.ts";
import {
  clusterCommand,
  fluxCommand,
  placementCommand,
  serviceCommand,
  validateCommand,
} from "./commands/gitops.ts";
import { capiInitCommand } from "./commands/capi_init.ts";
import { installCommand } from "./commands/install.ts";
import { operatorCommand } from "./commands/operator.ts";
import { sandboxCommand } from "./commands/sandbox.ts";
import { joinCommand } from "./commands/join.ts";
import { kubeconfigCommand } from "./commands/kubeconfig.ts";
import { versionCommand } from "./commands/version.ts";
import { initCommand } from "../gitops/cli/init.ts";
import { completionCommand } from "./completion.ts";

/** The root command with every subcommand. */
export function rootCommand(): Command {
  const root: Command = {
    name: "lattice",
    summary: "multi-cluster lifecycle management on Cluster API",
    usage: "lattice <command> [options]",
    subcommands: [
      initCommand,
      operatorCommand,
      joinCommand,
      capiInitCommand,
      installCommand,
      clusterCommand,
      serviceCommand,
      placementCommand,
      fluxCommand,
      validateCommand,
      kubeconfigCommand,
      sandboxCommand,
      versionCommand,
      completionCommand(() => root),
    ],
  };
  return root;
}
