/**
 * The commands whose actions arrive with later issues. Each has its real usage and
 * options so `--help` is already truthful; running one exits 2 with
 * "not implemented yet: <name>".
 */
import { type Command, notImplemented } from "../command.ts";

/** `lattice operator`. */
export const operatorCommand: Command = notImplemented({
  name: "operator",
  summary: "Run the operator in a cluster (reconciler, cell and agent roles)",
  usage: "lattice operator [--kubeconfig PATH]",
  options: { kubeconfig: { type: "string" } },
  optionHelp: { kubeconfig: "Kubeconfig to use; in-cluster credentials when omitted" },
});

/** `lattice join`. */
export const joinCommand: Command = notImplemented({
  name: "join",
  summary: "Register a new cluster with its parent cell (run by kubeadm, once)",
  usage: "lattice join --cell URL --cluster NAME --token-file F --ca-file F [--kubeconfig P]",
  options: {
    cell: { type: "string" },
    cluster: { type: "string" },
    "token-file": { type: "string" },
    "ca-file": { type: "string" },
    kubeconfig: { type: "string" },
  },
  optionHelp: {
    cell: "HTTPS URL of the parent cell's bootstrap webhook",
    cluster: "Name of this cluster",
    "token-file": "File holding the one-time bootstrap token",
    "ca-file": "CA bundle of the parent cell (pinned)",
    kubeconfig: "Kubeconfig of the local API server",
  },
});

/** `lattice install`. */
export const installCommand: Command = notImplemented({
  name: "install",
  summary: "Bootstrap the first (root) cluster through a temporary kind cluster",
  usage: "lattice install --config FILE",
  options: { config: { type: "string" } },
  optionHelp: { config: "LatticeCluster manifest of the root cluster" },
});

/** `lattice kubeconfig`. */
export const kubeconfigCommand: Command = notImplemented({
  name: "kubeconfig",
  summary: "Write a kubeconfig that reaches a child cluster through the cell's proxy",
  usage: "lattice kubeconfig --cluster NAME [--via CELL_URL] [--output FILE]",
  options: {
    cluster: { type: "string" },
    via: { type: "string" },
    output: { type: "string", short: "o" },
  },
  optionHelp: {
    cluster: "Name of the cluster to reach",
    via: "URL of the cell whose proxy to use",
    output: "Where to write the kubeconfig (stdout when omitted)",
  },
});

/** `lattice sandbox`. */
export const sandboxCommand: Command = {
  name: "sandbox",
  summary: "Run a local fleet on real local control planes (CAPI simulated)",
  usage: "lattice sandbox <up|down|status>",
  subcommands: [
    notImplemented({
      name: "up",
      summary: "Start the root cell and provision the example clusters",
      usage: "lattice sandbox up [--clusters FILE]",
      options: { clusters: { type: "string" } },
      optionHelp: { clusters: "LatticeCluster manifests to apply (examples/ by default)" },
    }),
    notImplemented({
      name: "down",
      summary: "Stop every sandbox control plane and remove its files",
      usage: "lattice sandbox down",
    }),
    notImplemented({
      name: "status",
      summary: "Show the sandbox's clusters and how to reach them",
      usage: "lattice sandbox status",
    }),
  ],
};
