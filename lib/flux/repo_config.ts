/**
 * The repository config (`.lattice/config.yaml`, a LatticeRepoConfig) as each cluster's Flux
 * applies it (Kustomization `lattice-config`): where a cluster reads the Flux version and
 * interval the repository asks of every cluster.
 */
import { getOrUndefined, type KubeClient } from "../kube/mod.ts";

/** The LatticeRepoConfig kind. */
export const REPO_CONFIG_REF = {
  group: "lattice.dev",
  version: "v1alpha1",
  kind: "LatticeRepoConfig",
  plural: "latticerepoconfigs",
  namespaced: false,
} as const;

/** The Flux settings of a repository config. */
export interface RepoFlux {
  version?: string;
  interval?: string;
}

interface RepoConfigView {
  metadata?: { name?: string };
  spec?: { flux?: RepoFlux };
}

/**
 * The Flux settings of the repository config applied to this cluster (the one named
 * `config`, else the only one); empty when there is none.
 */
export async function readRepoFlux(client: KubeClient): Promise<RepoFlux> {
  const list = await getOrUndefined(() => client.list<RepoConfigView>(REPO_CONFIG_REF))
    .catch(() => undefined);
  const items = list?.items ?? [];
  const config = items.find((c) => c.metadata?.name === "config") ??
    (items.length === 1 ? items[0] : undefined);
  return { ...config?.spec?.flux };
}
