/**
 * Which Cluster API providers a cluster needs, which of them a management cluster already
 * runs (clusterctl's Provider inventory), and the `clusterctl init` that adds the rest.
 */
import type { LatticeClusterInput } from "../api/mod.ts";
import { isNotFound, type KubeClient, type KubeObject, type ResourceRef } from "../kube/mod.ts";

/** clusterctl's provider types. */
export type ProviderType =
  | "CoreProvider"
  | "BootstrapProvider"
  | "ControlPlaneProvider"
  | "InfrastructureProvider";

/** One provider as clusterctl names it. */
export interface ClusterctlProvider {
  type: ProviderType;
  /** clusterctl's provider name, e.g. `kubeadm`, `docker`. */
  name: string;
}

/** clusterctl's inventory of installed providers. */
export const PROVIDER_INVENTORY: ResourceRef = {
  group: "clusterctl.cluster.x-k8s.io",
  version: "v1alpha3",
  plural: "providers",
  kind: "Provider",
  namespaced: true,
};

/** clusterctl's names of the infrastructure providers LatticeCluster supports. */
const INFRASTRUCTURE: Record<string, string> = {
  docker: "docker",
  aws: "aws",
  azure: "azure",
  gcp: "gcp",
  openstack: "openstack",
  proxmox: "proxmox",
};

/** The providers a cluster of `spec` needs on its management cluster. */
export function requiredProviders(spec: LatticeClusterInput["spec"]): ClusterctlProvider[] {
  const infra = Object.keys(spec.provider.config).find((k) => k in INFRASTRUCTURE);
  if (!infra) {
    throw new Error(
      `spec.provider.config names no supported provider (${
        Object.keys(INFRASTRUCTURE).join(", ")
      })`,
    );
  }
  const bootstrap = spec.provider.kubernetes.bootstrap ?? "kubeadm";
  return [
    { type: "CoreProvider", name: "cluster-api" },
    { type: "BootstrapProvider", name: bootstrap },
    { type: "ControlPlaneProvider", name: bootstrap },
    { type: "InfrastructureProvider", name: INFRASTRUCTURE[infra] },
  ];
}

/** The providers clusterctl has installed on the cluster behind `client` (none when absent). */
export async function installedProviders(client: KubeClient): Promise<ClusterctlProvider[]> {
  try {
    const list = await client.list<KubeObject & { providerName?: string; type?: string }>(
      PROVIDER_INVENTORY,
    );
    return list.items.map((p) => ({
      type: p.type as ProviderType,
      name: p.providerName ?? "",
    }));
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/** `required` minus what is installed. */
export function missingProviders(
  required: readonly ClusterctlProvider[],
  installed: readonly ClusterctlProvider[],
): ClusterctlProvider[] {
  return required.filter((r) => !installed.some((i) => i.type === r.type && i.name === r.name));
}

const FLAG: Record<ProviderType, string> = {
  CoreProvider: "--core",
  BootstrapProvider: "--bootstrap",
  ControlPlaneProvider: "--control-plane",
  InfrastructureProvider: "--infrastructure",
};

/**
 * Arguments of `clusterctl init` adding `providers` (nothing to do when empty). The core
 * provider is named only when missing; `--wait-providers` returns once their controllers
 * run, so the pivot finds the CRDs and a controller to hand the objects to.
 */
export function clusterctlInitArgs(
  kubeconfigPath: string,
  providers: readonly ClusterctlProvider[],
): string[] | undefined {
  if (providers.length === 0) return undefined;
  const args = ["init", "--kubeconfig", kubeconfigPath];
  for (const p of providers) args.push(FLAG[p.type], p.name);
  args.push("--wait-providers", "--wait-provider-timeout", "600");
  return args;
}
