/**
 * The GitOps commands (cluster, service, placement, flux, validate). Their actions arrive
 * with the GitOps issue; until then each exits 2 with "not implemented yet: <name>".
 */
import { type Command, notImplemented } from "../command.ts";

const repo = { repo: { type: "string" as const } };
const repoHelp = { repo: "Cluster repository (default: the git root of the current directory)" };

/** `lattice cluster`. */
export const clusterCommand: Command = notImplemented({
  name: "cluster",
  summary: "List, create, scale, upgrade and delete clusters in the cluster repo",
  usage: "lattice cluster <list|tree|get|create|scale|upgrade|delete> [options]",
  options: repo,
  optionHelp: repoHelp,
});

/** `lattice service`. */
export const serviceCommand: Command = notImplemented({
  name: "service",
  summary: "List and register services in the catalog",
  usage: "lattice service <list|register> [options]",
  options: repo,
  optionHelp: repoHelp,
});

/** `lattice placement`. */
export const placementCommand: Command = notImplemented({
  name: "placement",
  summary: "Place services on clusters",
  usage: "lattice placement <list|create|scale|delete> [options]",
  options: repo,
  optionHelp: repoHelp,
});

/** `lattice flux`. */
export const fluxCommand: Command = notImplemented({
  name: "flux",
  summary: "Set the Flux version, suspend or resume Flux on clusters",
  usage: "lattice flux <set-version|suspend|resume> [options]",
  options: repo,
  optionHelp: repoHelp,
});

/** `lattice validate`. */
export const validateCommand: Command = notImplemented({
  name: "validate",
  summary: "Validate the cluster repository (schemas, hierarchy, kustomizations)",
  usage: "lattice validate [PATH] [--output text|json]",
  options: { output: { type: "string", short: "o" } },
  optionHelp: { output: "text (default) or json" },
});
