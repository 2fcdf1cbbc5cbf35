/**
 * `lattice capi-init`: installs Cluster API's controllers for a cluster's own providers on
 * that cluster, from inside it (the one-shot Job of the child bundle, lib/bundle/addons.ts).
 * Reads the cluster's own LatticeCluster, asks clusterctl's inventory what is installed,
 * runs `clusterctl init` for the rest — from the components the parent cell sent, with the
 * variables of the identities the pivot moved here, never from the network
 * (capi_components.ts) — then deletes the Job's cluster-admin binding.
 */
import { CAPI_INIT_NAME } from "../bundle/addons.ts";
import { CLUSTER_ROLE_BINDING_REF, getOrUndefined, type KubeClient } from "../kube/mod.ts";
import { SERVICE_ACCOUNT_DIR } from "../kube/config.ts";
import { runTool } from "../tools/run.ts";
import { sleep, systemClock } from "../runtime/clock.ts";
import { LATTICE_CLUSTER_REF, type LatticeClusterInput } from "../api/mod.ts";
import { prepareClusterctl, setComponentsCondition } from "./capi_components.ts";
import {
  clusterctlInitArgs,
  installedProviders,
  missingProviders,
  requiredProviders,
} from "./clusterctl.ts";

/** Options of {@linkcode capiInit}. */
export interface CapiInitOptions {
  /** Client of the cluster itself. */
  client: KubeClient;
  /** The cluster's name (its own LatticeCluster). */
  clusterName: string;
  /** Kubeconfig clusterctl uses (see {@linkcode inClusterKubeconfig}). */
  kubeconfigPath: string;
  /** The clusterctl executable; default `clusterctl` on PATH. */
  clusterctl?: string;
  /** How long to wait for the cluster's own LatticeCluster; default 2 min. */
  waitMs?: number;
  pollMs?: number;
  /** Stops the wait for the cluster's own LatticeCluster; rejects with the signal's reason. */
  signal?: AbortSignal;
  print?: (line: string) => void;
}

/** A kubeconfig for clusterctl from the pod's service account (files, never the token). */
export function inClusterKubeconfig(
  env: Readonly<Record<string, string | undefined>>,
  dir = SERVICE_ACCOUNT_DIR,
): string {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) {
    throw new Error("Cannot use in-cluster credentials: KUBERNETES_SERVICE_HOST is not set");
  }
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${
    env.KUBERNETES_SERVICE_PORT ?? "443"
  }`;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "self", cluster: { server, "certificate-authority": `${dir}/ca.crt` } }],
    users: [{ name: "self", user: { tokenFile: `${dir}/token` } }],
    contexts: [{ name: "self", context: { cluster: "self", user: "self" } }],
    "current-context": "self",
  });
}

/** Installs what is missing; returns the providers clusterctl was asked for. */
export async function capiInit(options: CapiInitOptions): Promise<string[]> {
  const print = options.print ?? (() => {});
  const { client, clusterName } = options;
  const deadline = Date.now() + (options.waitMs ?? 120_000);
  let own: LatticeClusterInput | undefined;
  for (;;) {
    own = await getOrUndefined(() =>
      client.get<LatticeClusterInput>(LATTICE_CLUSTER_REF, clusterName)
    );
    if (own) break;
    if (Date.now() > deadline) {
      throw new Error(
        `Cannot install Cluster API: this cluster's LatticeCluster ${clusterName} does not exist`,
      );
    }
    await sleep(systemClock, options.pollMs ?? 2_000, options.signal);
  }
  const missing = missingProviders(requiredProviders(own.spec), await installedProviders(client));
  const args = clusterctlInitArgs(options.kubeconfigPath, missing);
  const asked = missing.map((p) => `${p.type} ${p.name}`);
  if (args) {
    const dir = await Deno.makeTempDir({ prefix: "lattice-capi-init-" });
    try {
      const { configPath, variables } = await prepareClusterctl(client, own, missing, dir);
      print(`Installing Cluster API providers: ${asked.join(", ")} (from the parent's components)`);
      if (variables.length > 0) print(`clusterctl variables: ${variables.join(", ")}`);
      await runTool(options.clusterctl ?? "clusterctl", [...args, "--config", configPath], {
        label: "clusterctl init",
        // No version check against GitHub: the child may have no route to the internet.
        env: { CLUSTERCTL_DISABLE_VERSIONCHECK: "true" },
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
    await setComponentsCondition(
      client,
      clusterName,
      "True",
      "Installed",
      `Installed ${asked.join(", ")} from the parent cell's components`,
    );
  } else {
    print("Cluster API providers are installed already");
  }
  await client.delete(CLUSTER_ROLE_BINDING_REF, CAPI_INIT_NAME, undefined, {
    ignoreNotFound: true,
  });
  print(`Deleted ClusterRoleBinding ${CAPI_INIT_NAME} (cluster-admin of this Job)`);
  return asked;
}
