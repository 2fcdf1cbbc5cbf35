/**
 * Running an external tool (kubectl, kind, clusterctl, docker) and reading what it printed.
 * A failure names the command and carries the end of its stderr, never the whole of it.
 */

/** Options of {@linkcode runTool}. */
export interface RunToolOptions {
  /** Text piped to the tool's stdin. */
  stdin?: string;
  /** Environment; added to the inherited one unless `clearEnv`. */
  env?: Record<string, string>;
  /** Start from an empty environment (plus `env`). */
  clearEnv?: boolean;
  /** Resolve with the failed output instead of throwing when the tool exits non-zero. */
  allowFailure?: boolean;
  /** Working directory; default this process's. */
  cwd?: string;
  /** How the command is named in errors; default the tool and its arguments. */
  label?: string;
}

/** What a tool printed. */
export interface RunToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; throws `Cannot run <label>: ...` when it is missing or fails. */
export async function runTool(
  tool: string,
  args: string[],
  options: RunToolOptions = {},
): Promise<RunToolResult> {
  const label = options.label ?? [tool, ...args].join(" ");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(tool, {
      args,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      env: options.env,
      cwd: options.cwd,
      clearEnv: options.clearEnv,
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot run ${label}: ${tool} is not installed (not found on PATH)`);
    }
    throw error;
  }
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const result = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
  if (result.code !== 0 && !options.allowFailure) {
    throw new Error(
      `Cannot run ${label}: exit code ${result.code}: ${clip(result.stderr.trim())}`,
    );
  }
  return result;
}

/** Keeps errors readable when a tool prints whole objects: the end of `text`. */
export function clip(text: string, max = 2_000): string {
  return text.length <= max
    ? text
    : `… (${text.length - max} characters before) ${text.slice(text.length - max)}`;
}
