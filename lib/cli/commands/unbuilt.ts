/**
 * The commands whose actions arrive with later issues. Each has its real usage and
 * options so `--help` is already truthful; running one exits 2 with
 * "not implemented yet: <name>".
 */
import { type Command, notImplemented } from "../command.ts";

/** `lattice install`. */
export const installCommand: Command = notImplemented({
  name: "install",
  summary: "Bootstrap the first (root) cluster through a temporary kind cluster",
  usage: "lattice install --config FILE",
  options: { config: { type: "string" } },
  optionHelp: { config: "LatticeCluster manifest of the root cluster" },
});
