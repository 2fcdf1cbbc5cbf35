/**
 * `lattice capi-init`: what the child bundle's one-shot Job runs — Cluster API's controllers
 * for this cluster's own providers, installed with clusterctl before the pivot hands it its
 * Cluster API objects (lib/install/capi_init.ts).
 */
import { KubeClient } from "../../kube/mod.ts";
import { capiInit, inClusterKubeconfig } from "../../install/capi_init.ts";
import { CliError, type Command, stringOption } from "../command.ts";

/** The `capi-init` command. */
export const capiInitCommand: Command = {
  name: "capi-init",
  summary: "Install Cluster API for this cluster's own providers (run by a Job at join)",
  usage: "lattice capi-init [--cluster-name NAME] [--kubeconfig PATH] [--clusterctl PATH]",
  description: "Reads this cluster's own LatticeCluster, runs clusterctl init for the providers " +
    "clusterctl's inventory does not list yet, then deletes the Job's cluster-admin binding. " +
    "Idempotent.",
  options: {
    "cluster-name": { type: "string" },
    kubeconfig: { type: "string" },
    clusterctl: { type: "string" },
  },
  optionHelp: {
    "cluster-name": "This cluster's name (default: LATTICE_CLUSTER_NAME)",
    kubeconfig: "Kubeconfig of this cluster (default: in-cluster credentials)",
    clusterctl: "The clusterctl executable (default: clusterctl on PATH)",
  },
  async run(args, ctx) {
    const clusterName = stringOption(args, "cluster-name") ?? ctx.env.LATTICE_CLUSTER_NAME;
    if (!clusterName) {
      throw new CliError("missing --cluster-name (or LATTICE_CLUSTER_NAME)", 2);
    }
    let kubeconfigPath = stringOption(args, "kubeconfig");
    let client: KubeClient;
    try {
      if (kubeconfigPath) {
        client = await KubeClient.fromKubeconfigFile(kubeconfigPath);
      } else {
        client = await KubeClient.inCluster({ env: ctx.env });
        kubeconfigPath = `${ctx.env.HOME ?? "/tmp"}/lattice-capi-init.kubeconfig`;
        await Deno.writeTextFile(kubeconfigPath, inClusterKubeconfig(ctx.env), { mode: 0o600 });
      }
    } catch (error) {
      throw new CliError(`Cannot install Cluster API: ${(error as Error).message}`, 1, {
        cause: error,
      });
    }
    try {
      await capiInit({
        client,
        clusterName,
        kubeconfigPath,
        clusterctl: stringOption(args, "clusterctl"),
        print: ctx.stdout,
      });
    } catch (error) {
      throw new CliError((error as Error).message, 1, { cause: error });
    } finally {
      client.close();
    }
    return 0;
  },
};
