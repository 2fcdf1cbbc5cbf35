/** Runs the `lattice` CLI in-process for tests, capturing what it prints. */
import { type CliContext, rootCommand, runCli } from "../../lib/cli/mod.ts";

/** Runs the CLI in-process and captures what it prints. */
export async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const both: string[] = [];
  const ctx: CliContext = {
    stdout: (t) => {
      out.push(t);
      both.push(t);
    },
    stderr: (t) => {
      err.push(t);
      both.push(t);
    },
    env,
    cwd: Deno.cwd(),
  };
  const code = await runCli(rootCommand(), args, ctx);
  // `output`: stdout and stderr interleaved as printed (what a terminal shows).
  return { code, stdout: out.join("\n"), stderr: err.join("\n"), output: both.join("\n") };
}
