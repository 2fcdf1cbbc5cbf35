/**
 * Docker (CAPD, infrastructure.cluster.x-k8s.io/v1beta2): local clusters for development
 * and tests. Cluster API v1.14 deprecates DockerCluster/DockerMachineTemplate in favour of
 * DevCluster/DevMachineTemplate, whose `backend.docker` holds the same fields; Lattice
 * generates the Dev kinds (docs/adr/capd-dev-kinds.md explains the migration of clusters
 * created with the Docker kinds).
 */
import type { InfraProvider } from "../types.ts";
import { configOf } from "./_config.ts";

/** The host's Docker socket, mounted into every node so CAPD can run there. */
const DOCKER_SOCKET_MOUNT = {
  containerPath: "/var/run/docker.sock",
  hostPath: "/var/run/docker.sock",
} as const;

/**
 * The Docker provider with v1.14's Dev kinds; {@linkcode legacyDockerProvider} when the
 * cluster says `kinds: docker`.
 */
export const dockerProvider: InfraProvider = {
  name: "docker",
  apiVersion: "infrastructure.cluster.x-k8s.io/v1beta2",
  clusterKind: "DevCluster",
  machineTemplateKind: "DevMachineTemplate",
  clusterSpec: () => ({ backend: { docker: {} } }),
  machineSpec(ctx) {
    const config = configOf(ctx, "docker");
    return {
      backend: {
        docker: {
          // Without customImage CAPD picks the kindest/node image of the machine's version,
          // which keeps upgrades a version bump.
          ...(config.customImage ? { customImage: config.customImage } : {}),
          // After the pivot every cluster runs CAPD itself (its own scaling and upgrades),
          // and CAPD creates machines through the host's Docker daemon: every node mounts it.
          extraMounts: [DOCKER_SOCKET_MOUNT],
          // CAPD's default of 5 min covers kubeadm but not also a join that waits for its cell.
          bootstrapTimeout: "15m",
        },
      },
    };
  },
  // kind nodes share the host's disk: disable disk-pressure eviction as CAPD's templates do.
  kubeletArgs: () => ({
    "eviction-hard": "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%",
  }),
};

/**
 * The deprecated DockerCluster/DockerMachineTemplate, kept for clusters created with them
 * (`spec.provider.config.docker.kinds: docker`): a Cluster's infrastructureRef cannot change
 * kind, so such a cluster keeps its kinds until it is recreated (docs/adr/capd-dev-kinds.md).
 */
export const legacyDockerProvider: InfraProvider = {
  ...dockerProvider,
  clusterKind: "DockerCluster",
  machineTemplateKind: "DockerMachineTemplate",
  clusterSpec: () => ({}),
  machineSpec(ctx, role) {
    const spec = dockerProvider.machineSpec(ctx, role) as { backend: { docker: object } };
    return { ...spec.backend.docker };
  },
};
