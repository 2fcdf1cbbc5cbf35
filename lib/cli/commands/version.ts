/**
 * `lattice version`: the Lattice version, the Deno runtime and the git commit when known.
 */
import type { Command } from "../command.ts";
import { LATTICE_VERSION } from "../../version.ts";

/** Finds the git commit: LATTICE_GIT_COMMIT, else `git rev-parse` when run from source. */
export async function gitCommit(env: Readonly<Record<string, string | undefined>>) {
  if (env.LATTICE_GIT_COMMIT) return env.LATTICE_GIT_COMMIT;
  const source = new URL("../../../", import.meta.url);
  if (source.protocol !== "file:") return undefined;
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "--short=12", "HEAD"],
      cwd: source,
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The `version` command. */
export const versionCommand: Command = {
  name: "version",
  summary: "Print the Lattice version, the Deno version and the git commit",
  usage: "lattice version",
  async run(_args, ctx) {
    ctx.stdout(`lattice ${LATTICE_VERSION}`);
    ctx.stdout(
      `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
    );
    ctx.stdout(`commit ${(await gitCommit(ctx.env)) ?? "unknown"}`);
    return 0;
  },
};
