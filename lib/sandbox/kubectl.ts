/** Running the real kubectl against a plane. */
import { type Binaries, resolveBinaries } from "./binaries.ts";

/** The plane fields kubectl needs. */
export interface KubectlTarget {
  kubeconfigPath: string;
}

/** Options of {@link kubectl}. */
export interface KubectlOptions {
  /** Text piped to kubectl's stdin (for `-f -`). */
  stdin?: string;
  /** Binaries to use (default: {@link resolveBinaries}). */
  binaries?: Binaries;
  /** Resolve with the failed output instead of throwing when kubectl exits non-zero. */
  allowFailure?: boolean;
}

/** What a kubectl run printed. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `kubectl --kubeconfig <plane> ...args`. Throws `Cannot run kubectl ...` with its
 * stderr when it exits non-zero, unless `allowFailure` is set.
 */
export async function kubectl(
  plane: KubectlTarget,
  args: string[],
  options: KubectlOptions = {},
): Promise<KubectlResult> {
  const binaries = options.binaries ?? await resolveBinaries();
  const child = new Deno.Command(binaries.kubectl, {
    args: ["--kubeconfig", plane.kubeconfigPath, ...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    // kubectl must not pick up the user's own config or cache anything in $HOME.
    env: { KUBECONFIG: plane.kubeconfigPath, KUBECACHEDIR: "/dev/null" },
  }).spawn();
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
      `Cannot run kubectl ${args.join(" ")}: exit code ${result.code}: ${
        clip(result.stderr.trim())
      }`,
    );
  }
  return result;
}

// kubectl may print whole objects when a template fails; keep errors readable.
function clip(text: string, max = 2_000): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)} … (${text.length - max} more characters)`;
}
