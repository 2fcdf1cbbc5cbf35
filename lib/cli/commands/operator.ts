/**
 * `lattice operator`: the in-cluster process. Plays every role the cluster needs (self
 * reconciler always; cell when its own LatticeCluster has `spec.cell`; agent when it has a
 * parent), serves /healthz, /readyz and /metrics, reconciles under a Lease when
 * --leader-elect, and drains on SIGTERM/SIGINT.
 */
import { HEALTH_PORT } from "../../bundle/names.ts";
import { KubeClient } from "../../kube/mod.ts";
import { createLogger, type Level, LEVELS } from "../../log/mod.ts";
import { runLattice } from "../../operator/lattice.ts";
import {
  type CliContext,
  CliError,
  type Command,
  EXIT_USAGE,
  type ParsedArgs,
  stringOption,
} from "../command.ts";
import { LIMIT_HELP, LIMIT_OPTIONS, limitsFromArgs } from "./operator_limits.ts";

async function clientFor(kubeconfig: string | undefined, ctx: CliContext): Promise<KubeClient> {
  const path = kubeconfig ?? ctx.env.KUBECONFIG;
  if (path) return await KubeClient.fromKubeconfigFile(path);
  try {
    return await KubeClient.inCluster({ env: ctx.env });
  } catch (error) {
    throw new CliError(
      `${(error as Error).message}\nWhat to do: run inside a pod, or pass --kubeconfig.`,
      1,
      { cause: error },
    );
  }
}

function portOption(args: ParsedArgs, name: string, fallback?: number): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`invalid --${name}: ${text} (a port number, 0 for any)`, EXIT_USAGE);
  }
  return port;
}

/** The `operator` command. */
export const operatorCommand: Command = {
  name: "operator",
  summary: "Run the operator in a cluster (reconciler, cell and agent roles)",
  usage: "lattice operator [--kubeconfig PATH] [--cluster-name NAME] [--leader-elect] [...]",
  description: "Roles: reconciles the cluster's own LatticeCluster; serves as a cell (webhook, " +
    "proxy, agent gRPC) when that LatticeCluster has spec.cell; keeps the outbound stream to " +
    "the parent when the lattice-agent Secret exists (written by lattice join).",
  options: {
    kubeconfig: { type: "string" },
    "cluster-name": { type: "string" },
    "bootstrap-cell": { type: "boolean" },
    "cell-host": { type: "string" },
    "https-port": { type: "string" },
    "grpc-port": { type: "string" },
    binary: { type: "string" },
    "metrics-port": { type: "string" },
    "leader-elect": { type: "boolean" },
    "lease-namespace": { type: "string" },
    identity: { type: "string" },
    "log-level": { type: "string" },
    ...LIMIT_OPTIONS,
  },
  optionHelp: {
    kubeconfig: "Kubeconfig to use; in-cluster credentials when omitted",
    "cluster-name": "This cluster's name (default: LATTICE_CLUSTER_NAME, else the agent Secret)",
    "bootstrap-cell": "Act as a cell without an own LatticeCluster (lattice install's bootstrap)",
    "cell-host": "Host children dial (default: spec.cell.host, else NODE_NAME)",
    "https-port":
      "Port of the bootstrap webhook and API proxy (default spec.cell.ports.https, 8443)",
    "grpc-port": "Port of the agent gRPC server (default spec.cell.ports.grpc, 50051)",
    binary: "File served to children as the lattice binary (default: this executable)",
    "metrics-port": `Port of /healthz, /readyz and /metrics (default ${HEALTH_PORT})`,
    "leader-elect": "Reconcile only while holding the lattice-operator Lease",
    "lease-namespace": "Namespace of the Lease (default: POD_NAMESPACE or lattice-system)",
    identity: "Leader-election identity (default: POD_NAME, HOSTNAME)",
    "log-level": "debug, info, warn or error (default: LATTICE_LOG or info)",
    ...LIMIT_HELP,
  },
  async run(args, ctx) {
    const metricsPort = portOption(args, "metrics-port", HEALTH_PORT);
    const httpsPort = portOption(args, "https-port");
    const grpcPort = portOption(args, "grpc-port");
    const cellLimits = limitsFromArgs(args);
    const levelText = stringOption(args, "log-level") ?? ctx.env.LATTICE_LOG ?? "info";
    if (!(LEVELS as readonly string[]).includes(levelText)) {
      throw new CliError(`invalid --log-level: ${levelText} (${LEVELS.join(", ")})`, EXIT_USAGE);
    }
    const logger = createLogger({
      level: levelText as Level,
      format: Deno.stderr.isTerminal() ? "text" : "json",
      sink: ctx.stderr,
    });
    const client = await clientFor(stringOption(args, "kubeconfig"), ctx);
    const stop = new AbortController();
    const onSignal = () => {
      logger.info("Shutting down: signal received");
      stop.abort();
    };
    Deno.addSignalListener("SIGTERM", onSignal);
    Deno.addSignalListener("SIGINT", onSignal);
    try {
      const binary = stringOption(args, "binary");
      await runLattice(client, {
        clusterName: stringOption(args, "cluster-name") ?? ctx.env.LATTICE_CLUSTER_NAME,
        bootstrapCell: args.values["bootstrap-cell"] === true,
        cellHost: stringOption(args, "cell-host"),
        nodeName: ctx.env.NODE_NAME,
        image: ctx.env.LATTICE_IMAGE,
        httpsPort,
        grpcPort,
        binary: binary ? { path: binary } : undefined,
        metricsPort,
        cellLimits,
        logger,
        signal: stop.signal,
        leaderElection: args.values["leader-elect"]
          ? {
            name: "lattice-operator",
            namespace: stringOption(args, "lease-namespace") ?? ctx.env.POD_NAMESPACE ??
              "lattice-system",
            identity: stringOption(args, "identity") ?? ctx.env.POD_NAME ?? ctx.env.HOSTNAME ??
              crypto.randomUUID(),
          }
          : undefined,
      }).catch((error) => {
        throw new CliError(`Cannot run the operator: ${(error as Error).message}`, 1, {
          cause: error,
        });
      });
      return 0;
    } finally {
      Deno.removeSignalListener("SIGTERM", onSignal);
      Deno.removeSignalListener("SIGINT", onSignal);
      client.close();
    }
  },
};
