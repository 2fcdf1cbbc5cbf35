/**
 * `lattice service list|register` and `lattice placement list|create|scale|delete`.
 */
import {
  CliError,
  type Command,
  EXIT_USAGE,
  type ParsedArgs,
  stringOption,
} from "../../cli/command.ts";
import { findCluster } from "../hierarchy.ts";
import { loadRepo } from "../repo.ts";
import {
  createPlacement,
  deletePlacement,
  registerService,
  scalePlacement,
} from "../service_edit.ts";
import { renderTable } from "../table.ts";
import { shortUrl, summarizePlacement, visibleRegistrations } from "../views.ts";
import {
  gitopsCommand,
  intOption,
  positional,
  printChanges,
  printOutput,
  READ_HELP,
  READ_OPTIONS,
  REPO_HELP,
  REPO_OPTION,
  repoRoot,
} from "./_common.ts";

const clusterOption = { cluster: { type: "string" as const } };

function loadFor(args: ParsedArgs, root: string) {
  const repo = loadRepo(root, { strict: true });
  const cluster = stringOption(args, "cluster");
  const node = cluster ? findCluster(repo.hierarchy, cluster) : repo.hierarchy.rootNode;
  return { node, byNode: new Map(repo.clusters.map((c) => [c.node, c])) };
}

const serviceList = gitopsCommand({
  name: "list",
  summary: "List the registered services (the root catalog, or those a cluster sees)",
  usage: "lattice service list [--cluster C] [--output table|json|yaml]",
  options: { ...READ_OPTIONS, ...clusterOption },
  optionHelp: { ...READ_HELP, cluster: "Registrations visible from this cluster" },
  run(args, ctx) {
    const { node, byNode } = loadFor(args, repoRoot(args, ctx));
    const rows = visibleRegistrations(byNode, node);
    return printOutput(ctx, {
      args: args,
      data: rows,
      table: () =>
        renderTable(
          [
            { header: "NAME", minWidth: 13 },
            { header: "SOURCE", minWidth: 36 },
            { header: "PATH", minWidth: 0 },
          ],
          rows.map((r) => [r.name, shortUrl(r.url), r.gitPath ?? "-"]),
        ),
    });
  },
});

const register = gitopsCommand({
  name: "register",
  summary: "Add a service to the catalog",
  usage: "lattice service register NAME --git-url URL [--git-path P] [--branch B|--tag T] " +
    "[--default-replicas N] [--cluster CELL]",
  options: {
    ...REPO_OPTION,
    ...clusterOption,
    "git-url": { type: "string" },
    "git-path": { type: "string" },
    branch: { type: "string" },
    tag: { type: "string" },
    "default-replicas": { type: "string" },
  },
  optionHelp: {
    ...REPO_HELP,
    cluster: "Register in this cell's catalog (default: the root's)",
    "git-url": "Git repository of the service's manifests (required)",
    "git-path": "Path of the manifests in it (default ./)",
    branch: "Branch to follow (default main)",
    tag: "Tag to deploy instead of a branch",
    "default-replicas": "Replicas when a placement does not say",
  },
  async run(args, ctx) {
    const name = positional(args, "service NAME");
    return printChanges(
      ctx,
      await registerService(repoRoot(args, ctx), name, {
        gitUrl: stringOption(args, "git-url", true),
        gitPath: stringOption(args, "git-path"),
        branch: stringOption(args, "branch"),
        tag: stringOption(args, "tag"),
        defaultReplicas: intOption(args, { name: "default-replicas", min: 0, max: 10000 }),
        cluster: stringOption(args, "cluster"),
      }),
    );
  },
});

/** `lattice service`. */
export const serviceCommand: Command = {
  name: "service",
  summary: "List and register services in the catalog",
  usage: "lattice service <list|register> [options]",
  subcommands: [serviceList, register],
};

const placementList = gitopsCommand({
  name: "list",
  summary: "List the services placed on a cluster",
  usage: "lattice placement list --cluster C [--output table|json|yaml]",
  options: { ...READ_OPTIONS, ...clusterOption },
  optionHelp: { ...READ_HELP, cluster: "The cluster (required)" },
  run(args, ctx) {
    stringOption(args, "cluster", true);
    const { node, byNode } = loadFor(args, repoRoot(args, ctx));
    const registrations = visibleRegistrations(byNode, node);
    const rows = byNode.get(node)!.placements.map((p) => summarizePlacement(p, registrations));
    return printOutput(ctx, {
      args: args,
      data: rows,
      table: () =>
        renderTable(
          [
            { header: "SERVICE", minWidth: 13 },
            { header: "REF", minWidth: 11 },
            { header: "TAG/BRANCH", minWidth: 13 },
            { header: "REPLICAS", minWidth: 0 },
          ],
          rows.map((r) => [r.service, r.ref ?? "-", r.tagOrBranch ?? "-", String(r.replicas)]),
        ),
    });
  },
});

const placementCreate = gitopsCommand({
  name: "create",
  summary: "Place a registered service on a cluster",
  usage: "lattice placement create SERVICE --cluster C [--tag T|--branch B] [--replicas N] " +
    "[--env KEY=VALUE]...",
  options: {
    ...REPO_OPTION,
    ...clusterOption,
    tag: { type: "string" },
    branch: { type: "string" },
    replicas: { type: "string" },
    env: { type: "string", multiple: true },
  },
  optionHelp: {
    ...REPO_HELP,
    cluster: "The cluster (required)",
    tag: "Deploy this tag instead of the registration's",
    branch: "Follow this branch instead of the registration's",
    replicas: "Replicas on this cluster",
    env: "Environment variable KEY=VALUE (repeatable)",
  },
  async run(args, ctx) {
    const service = positional(args, "SERVICE");
    const env = args.values.env;
    return printChanges(
      ctx,
      await createPlacement(repoRoot(args, ctx), service, {
        cluster: stringOption(args, "cluster", true),
        tag: stringOption(args, "tag"),
        branch: stringOption(args, "branch"),
        replicas: intOption(args, { name: "replicas", min: 0, max: 10000 }),
        env: Array.isArray(env) ? env.map(String) : undefined,
      }),
    );
  },
});

const placementScale = gitopsCommand({
  name: "scale",
  summary: "Set the replicas of a service on a cluster",
  usage: "lattice placement scale SERVICE --cluster C --replicas N",
  options: { ...REPO_OPTION, ...clusterOption, replicas: { type: "string" } },
  optionHelp: { ...REPO_HELP, cluster: "The cluster (required)", replicas: "Replicas (required)" },
  async run(args, ctx) {
    const service = positional(args, "SERVICE");
    const replicas = intOption(args, { name: "replicas", min: 0, max: 10000 });
    if (replicas === undefined) {
      throw new CliError("missing required option --replicas", EXIT_USAGE);
    }
    return printChanges(
      ctx,
      await scalePlacement(repoRoot(args, ctx), service, {
        cluster: stringOption(args, "cluster", true),
        replicas,
      }),
    );
  },
});

const placementDelete = gitopsCommand({
  name: "delete",
  summary: "Remove a service from a cluster",
  usage: "lattice placement delete SERVICE --cluster C",
  options: { ...REPO_OPTION, ...clusterOption },
  optionHelp: { ...REPO_HELP, cluster: "The cluster (required)" },
  async run(args, ctx) {
    const service = positional(args, "SERVICE");
    return printChanges(
      ctx,
      await deletePlacement(repoRoot(args, ctx), service, {
        cluster: stringOption(args, "cluster", true),
      }),
    );
  },
});

/** `lattice placement remove`: the same as delete (the issue's and many users' word). */
const placementRemove: Command = {
  ...placementDelete,
  name: "remove",
  summary: "Remove a service from a cluster (same as delete)",
  usage: "lattice placement remove SERVICE --cluster C",
};

/** `lattice placement`. */
export const placementCommand: Command = {
  name: "placement",
  summary: "Place services on clusters",
  usage: "lattice placement <list|create|scale|delete|remove> [options]",
  subcommands: [placementList, placementCreate, placementScale, placementDelete, placementRemove],
};
