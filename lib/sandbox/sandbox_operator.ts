/**
 * The operator as the sandbox runs it: the real `runLattice` in-process, one per plane, in
 * place of the Deployment a kubelet would run. Every cell listens on free ports on
 * localhost, so several cells share one machine.
 */
import type { BinarySource } from "../cell/webhook_binary.ts";
import { KubeClient } from "../kube/mod.ts";
import { runLattice } from "../operator/lattice.ts";
import type { StartOperator } from "./sandbox.ts";

/** Options for {@linkcode inProcessOperator}. */
export interface InProcessOperatorOptions {
  /** What cells serve as the lattice binary (a shim when running from source). */
  binary?: BinarySource;
  /** Agent heartbeat interval; default 5 s in the sandbox. */
  heartbeatIntervalMs?: number;
}

/** A {@linkcode StartOperator} running the real operator in this process. */
export function inProcessOperator(options: InProcessOperatorOptions = {}): StartOperator {
  return async ({ name, plane, logger, bootstrapCell, flux }) => {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    const stop = new AbortController();
    const ready = Promise.withResolvers<string | undefined>();
    const run = runLattice(client, {
      clusterName: bootstrapCell ? name : undefined,
      bootstrapCell,
      cellHost: "localhost",
      httpsPort: 0,
      grpcPort: 0,
      metricsPort: 0,
      binary: options.binary,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5_000,
      flux,
      logger,
      onReady: ({ cell }) => ready.resolve(cell?.url),
      signal: stop.signal,
    });
    run.then(() => ready.resolve(undefined), (error) => ready.reject(error));
    const cellUrl = await ready.promise;
    return {
      cellUrl,
      async stop() {
        stop.abort();
        await run.catch((error) => logger.warn("Operator ended with an error", { error }));
        client.close();
      },
    };
  };
}

/**
 * A `lattice` executable for simulated machines when running from source: a shell script
 * that runs main.ts with this Deno. A compiled binary serves itself instead.
 */
export async function sourceShim(dir: string): Promise<BinarySource> {
  const exe = Deno.execPath();
  const main = new URL("../../main.ts", import.meta.url);
  if (main.protocol !== "file:") return { path: exe };
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/lattice`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\n# Lattice from source (sandbox shim)\nexec '${exe}' run -A '${main.pathname}' "$@"\n`,
    { mode: 0o755 },
  );
  return { path };
}
