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
