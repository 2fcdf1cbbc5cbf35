/**
 * Names Lattice gives the Flux objects it manages on every cluster (spec: gitops.md, "Flux
 * Components Installed").
 */

/** Namespace of the Flux controllers and Lattice's Flux objects. */
export const FLUX_NAMESPACE = "flux-system";
/** The GitRepository of the cluster repository. */
export const GIT_REPOSITORY_NAME = "lattice-clusters";
/** The Kustomization applying this cluster's folder. */
export const KUSTOMIZATION_NAME = "cluster-config";
/** The Kustomization applying the repository config (`.lattice/`). */
export const CONFIG_KUSTOMIZATION_NAME = "lattice-config";
/** The Secret holding the git credentials. */
export const GIT_CREDENTIALS_SECRET = "git-credentials";
/** Label every vendored Flux object carries. */
export const FLUX_PART_OF_LABEL = "app.kubernetes.io/part-of";
/** Label carrying the Flux release (`v2.9.3`) of a vendored object. */
export const FLUX_VERSION_LABEL = "app.kubernetes.io/version";
/** Field manager of Lattice's Flux applies. */
export const FLUX_FIELD_MANAGER = "lattice-flux";
/** The controllers installed when a command names none. */
export const DEFAULT_COMPONENTS: readonly string[] = ["source-controller", "kustomize-controller"];
/** Sync interval when neither the cluster nor the repository sets one. */
export const DEFAULT_INTERVAL = "1m";

/** API references of the Flux objects Lattice writes. */
export const GIT_REPOSITORY_REF = {
  group: "source.toolkit.fluxcd.io",
  version: "v1",
  kind: "GitRepository",
  plural: "gitrepositories",
  namespaced: true,
} as const;
/** The Kustomization kind of kustomize-controller. */
export const KUSTOMIZATION_REF = {
  group: "kustomize.toolkit.fluxcd.io",
  version: "v1",
  kind: "Kustomization",
  plural: "kustomizations",
  namespaced: true,
} as const;
