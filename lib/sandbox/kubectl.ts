/** Running the real kubectl against a plane. */
import { runTool } from "../tools/run.ts";
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
  return await runTool(binaries.kubectl, ["--kubeconfig", plane.kubeconfigPath, ...args], {
    stdin: options.stdin,
    // kubectl must not pick up the user's own config or cache anything in $HOME.
    env: { KUBECONFIG: plane.kubeconfigPath, KUBECACHEDIR: "/dev/null" },
    allowFailure: options.allowFailure,
    label: `kubectl ${args.join(" ")}`,
  });
}
