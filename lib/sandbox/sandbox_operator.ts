/**
 * The operator as the sandbox runs it: the real `runLattice` in-process, one per plane, in
 * place of the Deployment a kubelet would run. Every cell listens on free ports, so several
 * cells share one machine, and is dialled on localhost unless its `spec.cell.host` is a
 * loopback address (127.0.0.0/8, ::1), which is then used as given (a real IP host path).
 */
import { isIP } from "node:net";
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

/** The host a sandbox cell advertises: a loopback `spec.cell.host` as is, else localhost. */
export function sandboxCellHost(specHost: string | undefined): string {
  if (specHost === undefined) return "localhost";
  const loopback = (isIP(specHost) === 4 && specHost.startsWith("127.")) ||
    (isIP(specHost) === 6 && /^(0*:)*:?0*1$/.test(specHost));
  return loopback ? specHost : "localhost";
}

/** A {@linkcode StartOperator} running the real operator in this process. */
export function inProcessOperator(options: InProcessOperatorOptions = {}): StartOperator {
  // A restarted cell keeps its ports, like a Service's: its children's Secrets name them.
  const ports = new Map<string, { https: number; grpc: number }>();
  return async ({ name, plane, logger, bootstrapCell, flux }) => {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    const stop = new AbortController();
    const ready = Promise.withResolvers<
      { url: string; caPem: string; grpcEndpoint: string } | undefined
    >();
    const run = runLattice(client, {
      clusterName: bootstrapCell ? name : undefined,
      bootstrapCell,
      cellHost: sandboxCellHost,
      httpsPort: ports.get(name)?.https ?? 0,
      grpcPort: ports.get(name)?.grpc ?? 0,
      metricsPort: 0,
      // Loopback only: the sandbox's cells are for this machine (a loopback IP host binds
      // that address, so its children dial exactly what the certificate names).
      bindAddress: (host) => isIP(host) ? host : "127.0.0.1",
      binary: options.binary,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5_000,
      flux,
      logger,
      onReady: ({ cell }) =>
        ready.resolve(
          cell && { url: cell.url, caPem: cell.caPem, grpcEndpoint: cell.grpcEndpoint },
        ),
      signal: stop.signal,
    });
    run.then(() => ready.resolve(undefined), (error) => ready.reject(error));
    const cell = await ready.promise;
    if (cell) {
      const port = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));
      ports.set(name, { https: port(new URL(cell.url).host), grpc: port(cell.grpcEndpoint) });
    }
    return {
      cellUrl: cell?.url,
      caPem: cell?.caPem,
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
