/**
 * The `lattice` binary: one executable for every role (operator, cell, agent, join,
 * install, the GitOps CLI and the sandbox). The environment is read here and passed down.
 */
import { type CliContext, rootCommand, runCli } from "./lib/cli/mod.ts";

/** The context of a real process: its streams, environment and working directory. */
export function processContext(): CliContext {
  return {
    stdout: (text) => console.log(text),
    stderr: (text) => console.error(text),
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
  };
}

if (import.meta.main) {
  Deno.exit(await runCli(rootCommand(), Deno.args, processContext()));
}
