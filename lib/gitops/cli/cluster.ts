/**
 * `lattice cluster list|tree|get|create|scale|upgrade|delete`.
 */
import { CliError, type Command, EXIT_USAGE, stringOption } from "../../cli/command.ts";
import { createCluster, deleteCluster } from "../cluster_edit.ts";
import { scaleCluster, upgradeCluster } from "../cluster_update.ts";
import { assertParsed, type ClusterNode, findCluster, scanHierarchy } from "../hierarchy.ts";
import { clusterFile } from "../layout.ts";
import { normalizeVersion } from "../versions.ts";
import { applyProviderFlags, PROVIDER_HELP, PROVIDER_OPTIONS } from "./provider_flags.ts";
import { loadFile, loadRepo } from "../repo.ts";
import { renderTable, renderTree, type TreeNode } from "../table.ts";
import { clusterSummaries, renderClusterDetail, summarizeCluster } from "../views.ts";
import { LIVE_HELP, LIVE_OPTIONS, runLiveTree } from "../../fleet/cli_live.ts";
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

const list = gitopsCommand({
  name: "list",
  summary: "List every cluster in the repository",
  usage: "lattice cluster list [--output table|json|yaml]",
  options: READ_OPTIONS,
  optionHelp: READ_HELP,
  run(args, ctx) {
    const rows = clusterSummaries(
      loadRepo(repoRoot(args, ctx), { services: false, strict: true }),
    );
    return printOutput(ctx, {
      args: args,
      data: rows,
      table: () =>
        renderTable(
          [
            { header: "NAME", minWidth: 13 },
            { header: "PARENT", minWidth: 9 },
            { header: "PROVIDER", minWidth: 11 },
            { header: "K8S", minWidth: 9 },
            { header: "WORKERS", minWidth: 0 },
          ],
          rows.map((r) => [
            r.name,
            r.parent ?? "-",
            r.provider ?? "-",
            r.kubernetesVersion ?? "-",
            String(r.workers ?? "-"),
          ]),
        ),
    });
  },
});

function treeOf(node: ClusterNode): TreeNode & { path: string } {
  return { name: node.name, path: clusterFile(node.dir), children: node.children.map(treeOf) };
}

const tree = gitopsCommand({
  name: "tree",
  summary: "Show the cluster hierarchy",
  usage: "lattice cluster tree [--output table|json|yaml]\n" +
    "       lattice cluster tree --live [--watch] [--cell URL] [--token T] [--ca FILE]",
  options: { ...READ_OPTIONS, ...LIVE_OPTIONS },
  optionHelp: { ...READ_HELP, ...LIVE_HELP },
  run(args, ctx) {
    if (args.values.live) return runLiveTree(args, ctx);
    if (args.values.watch) throw new CliError("--watch needs --live", EXIT_USAGE);
    const hierarchy = scanHierarchy(repoRoot(args, ctx));
    assertParsed(hierarchy);
    const data = treeOf(hierarchy.rootNode);
    return printOutput(ctx, { args: args, data, table: () => renderTree(data) });
  },
});

const get = gitopsCommand({
  name: "get",
  summary: "Show one cluster",
  usage: "lattice cluster get NAME [--output table|json|yaml]",
  options: READ_OPTIONS,
  optionHelp: READ_HELP,
  run(args, ctx) {
    const name = positional(args, "cluster NAME");
    const root = repoRoot(args, ctx);
    const node = findCluster(scanHierarchy(root), name);
    const file = loadFile(root, clusterFile(node.dir), { strict: true });
    const summary = summarizeCluster(node, file);
    return printOutput(ctx, {
      args: args,
      data: { ...summary, children: node.children.map((c) => c.name), cluster: file?.value },
      table: () => renderClusterDetail(summary),
    });
  },
});

const create = gitopsCommand({
  name: "create",
  summary: "Create a cluster under a parent cell",
  usage: "lattice cluster create NAME --parent PARENT [--cell] [--provider P] [--region R] " +
    "[--control-plane-nodes N] [--worker-nodes N] [--instance-type T] [--k8s-version V]",
  description: "Writes the cluster's folder (cluster.yaml, kustomization.yaml and placements/ " +
    "or, with --cell, registrations/ and children/) and lists it in the parent's " +
    "children/kustomization.yaml. Provider settings not given are copied from the parent " +
    "when it uses the same provider; every provider field has a flag (below: which " +
    "providers it applies to, and where it is required).",
  options: {
    ...REPO_OPTION,
    parent: { type: "string" },
    cell: { type: "boolean" },
    "cell-host": { type: "string" },
    provider: { type: "string" },
    region: { type: "string" },
    "control-plane-nodes": { type: "string" },
    "worker-nodes": { type: "string" },
    workers: { type: "string" },
    "instance-type": { type: "string" },
    "k8s-version": { type: "string" },
    ...PROVIDER_OPTIONS,
  },
  optionHelp: {
    ...REPO_HELP,
    parent: "Parent cell (required)",
    cell: "Make the cluster a cell that can have children",
    "cell-host": "Address children use to reach the cell (default: the cluster name)",
    provider: "docker, aws, openstack, proxmox, gcp or azure (default: the parent's)",
    region: "Region (aws, gcp) or location (azure)",
    "control-plane-nodes": "Control-plane machines (default 3; 1 for docker)",
    "worker-nodes": "Worker machines (default 2)",
    workers: "Same as --worker-nodes",
    "instance-type": "Worker instance/machine type",
    "k8s-version": "Kubernetes version (default: .lattice/config.yaml, else the parent's)",
    ...PROVIDER_HELP,
  },
  async run(args, ctx) {
    const name = positional(args, "cluster NAME");
    const action = `create cluster ${name}`;
    const changes = await createCluster(repoRoot(args, ctx), name, {
      parent: stringOption(args, "parent", true),
      cell: args.values.cell === true,
      cellHost: stringOption(args, "cell-host"),
      provider: stringOption(args, "provider"),
      region: stringOption(args, "region"),
      controlPlaneNodes: intOption(args, { name: "control-plane-nodes", min: 1, max: 15 }),
      workers: intOption(args, { name: "worker-nodes", min: 0, max: 5000 }) ??
        intOption(args, { name: "workers", min: 0, max: 5000 }),
      instanceType: stringOption(args, "instance-type"),
      k8sVersion: optionalVersion(stringOption(args, "k8s-version")),
      configure: (provider, config) => applyProviderFlags(args, { provider, config, action }),
    });
    return printChanges(ctx, changes);
  },
});

const scale = gitopsCommand({
  name: "scale",
  summary: "Set a cluster's worker count",
  usage: "lattice cluster scale NAME --workers N [--control-plane-nodes N]",
  options: {
    ...REPO_OPTION,
    workers: { type: "string" },
    "control-plane-nodes": { type: "string" },
  },
  optionHelp: {
    ...REPO_HELP,
    workers: "Worker machines",
    "control-plane-nodes": "Control-plane machines",
  },
  async run(args, ctx) {
    const name = positional(args, "cluster NAME");
    return printChanges(
      ctx,
      await scaleCluster(repoRoot(args, ctx), name, {
        workers: intOption(args, { name: "workers", min: 0, max: 5000 }),
        controlPlane: intOption(args, { name: "control-plane-nodes", min: 1, max: 15 }),
      }),
    );
  },
});

const upgrade = gitopsCommand({
  name: "upgrade",
  summary: "Set a cluster's Kubernetes version",
  usage: "lattice cluster upgrade NAME --k8s-version V [--force]",
  description: "Refuses downgrades and skipping a minor version unless --force.",
  options: { ...REPO_OPTION, "k8s-version": { type: "string" }, force: { type: "boolean" } },
  optionHelp: {
    ...REPO_HELP,
    "k8s-version": "Target Kubernetes version (required)",
    force: "Allow downgrades and skipped minors",
  },
  async run(args, ctx) {
    const name = positional(args, "cluster NAME");
    const version = normalizeVersion(stringOption(args, "k8s-version", true));
    return printChanges(
      ctx,
      await upgradeCluster(repoRoot(args, ctx), name, {
        k8sVersion: version,
        force: args.values.force === true,
      }),
    );
  },
});

const remove = gitopsCommand({
  name: "delete",
  summary: "Delete a cluster's folder (refused while it has children unless --recursive)",
  usage: "lattice cluster delete NAME [--recursive]",
  description: "Once pushed, the parent's Flux prunes the cluster's LatticeCluster; the parent " +
    "moves its Cluster API objects back from it (the pivot in reverse) and deletes its " +
    "machines. While its agent is unreachable the deletion waits (condition Unpivoted). To " +
    "forget it instead, leaving its machines running: kubectl annotate latticecluster NAME " +
    "lattice.dev/forget=true (on the parent).",
  options: { ...REPO_OPTION, recursive: { type: "boolean" } },
  optionHelp: { ...REPO_HELP, recursive: "Also delete the cluster's descendants" },
  async run(args, ctx) {
    const name = positional(args, "cluster NAME");
    return printChanges(
      ctx,
      await deleteCluster(repoRoot(args, ctx), name, { recursive: args.values.recursive === true }),
    );
  },
});

function optionalVersion(version: string | undefined): string | undefined {
  return version === undefined ? undefined : normalizeVersion(version);
}

/** `lattice cluster`. */
export const clusterCommand: Command = {
  name: "cluster",
  summary: "List, create, scale, upgrade and delete clusters in the cluster repo",
  usage: "lattice cluster <list|tree|get|create|scale|upgrade|delete> [options]",
  subcommands: [list, tree, get, create, scale, upgrade, remove],
};
