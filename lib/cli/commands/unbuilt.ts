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

/** `lattice install`. */
export const installCommand: Command = notImplemented({
  name: "install",
  summary: "Bootstrap the first (root) cluster through a temporary kind cluster",
  usage: "lattice install --config FILE",
  options: { config: { type: "string" } },
  optionHelp: { config: "LatticeCluster manifest of the root cluster" },
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
