/**
 * `lattice operator`: the in-cluster process. Serves /healthz, /readyz and /metrics, runs
 * the controllers (under a Lease when --leader-elect) and drains them on SIGTERM/SIGINT.
 */
import { KubeClient } from "../../kube/mod.ts";
import { createLogger, type Level, LEVELS } from "../../log/mod.ts";
import { type ControllerFactory, runOperator } from "../../operator/mod.ts";
import { type CliContext, CliError, type Command, EXIT_USAGE, stringOption } from "../command.ts";

/** Options for {@linkcode createOperatorCommand}. */
export interface OperatorCommandOptions {
  /** The controllers to run; none by default (the runtime alone). */
  controllers?: ControllerFactory;
}

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

/** The `operator` command, with the given controllers. */
export function createOperatorCommand(options: OperatorCommandOptions = {}): Command {
  return {
    name: "operator",
    summary: "Run the operator in a cluster (reconciler, cell and agent roles)",
    usage: "lattice operator [--kubeconfig PATH] [--metrics-port N] [--leader-elect]",
    options: {
      kubeconfig: { type: "string" },
      "metrics-port": { type: "string" },
      "leader-elect": { type: "boolean" },
      "lease-namespace": { type: "string" },
      identity: { type: "string" },
    },
    optionHelp: {
      kubeconfig: "Kubeconfig to use; in-cluster credentials when omitted",
      "metrics-port": "Port of /healthz, /readyz and /metrics (default 8080)",
      "leader-elect": "Reconcile only while holding the lattice-operator Lease",
      "lease-namespace": "Namespace of the Lease (default: POD_NAMESPACE or lattice-system)",
      identity: "Leader-election identity (default: HOSTNAME)",
    },
    async run(args, ctx) {
      const portText = stringOption(args, "metrics-port") ?? "8080";
      const port = Number(portText);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new CliError(`invalid --metrics-port: ${portText}`, EXIT_USAGE);
      }
      const level = (LEVELS as readonly string[]).includes(ctx.env.LATTICE_LOG ?? "")
        ? ctx.env.LATTICE_LOG as Level
        : "info";
      const logger = createLogger({
        level,
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
        await runOperator(client, {
          controllers: options.controllers ?? (() => []),
          logger,
          port,
          signal: stop.signal,
          leaderElection: args.values["leader-elect"]
            ? {
              name: "lattice-operator",
              namespace: stringOption(args, "lease-namespace") ?? ctx.env.POD_NAMESPACE ??
                "lattice-system",
              identity: stringOption(args, "identity") ?? ctx.env.HOSTNAME ??
                crypto.randomUUID(),
            }
            : undefined,
        });
        return 0;
      } finally {
        Deno.removeSignalListener("SIGTERM", onSignal);
        Deno.removeSignalListener("SIGINT", onSignal);
        client.close();
      }
    },
  };
}

/** `lattice operator` with no controllers yet: the runtime, probes and metrics. */
export const operatorCommand: Command = createOperatorCommand();
