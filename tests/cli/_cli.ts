/** Runs the `lattice` CLI in-process for tests, capturing what it prints. */
import { type CliContext, rootCommand, runCli } from "../../lib/cli/mod.ts";

/** Runs the CLI in-process and captures what it prints. */
export async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    cwd: Deno.cwd(),
  };
  const code = await runCli(rootCommand(), args, ctx);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}
