/**
 * Docker (CAPD, infrastructure.cluster.x-k8s.io/v1beta2): local clusters for development
 * and tests. CAPD v1.14 marks Docker* deprecated in favour of Dev*, but still serves them.
 */
import type { InfraProvider } from "../types.ts";
import { configOf } from "./_config.ts";

/** The host's Docker socket, mounted into every node so CAPD can run there. */
const DOCKER_SOCKET_MOUNT = {
  containerPath: "/var/run/docker.sock",
  hostPath: "/var/run/docker.sock",
} as const;

/** The Docker provider. */
export const dockerProvider: InfraProvider = {
  name: "docker",
  apiVersion: "infrastructure.cluster.x-k8s.io/v1beta2",
  clusterKind: "DockerCluster",
  machineTemplateKind: "DockerMachineTemplate",
  clusterSpec: () => ({}),
  machineSpec(ctx) {
    const config = configOf(ctx, "docker");
    return {
      // Without customImage CAPD picks the kindest/node image of the machine's version,
      // which keeps upgrades a version bump.
      ...(config.customImage ? { customImage: config.customImage } : {}),
      // After the pivot every cluster runs CAPD itself (its own scaling and upgrades), and
      // CAPD creates machines through the host's Docker daemon: every node mounts it.
      extraMounts: [DOCKER_SOCKET_MOUNT],
      // CAPD's default of 5 min covers kubeadm but not also a join that waits for its cell.
      bootstrapTimeout: "15m",
    };
  },
  // kind nodes share the host's disk: disable disk-pressure eviction as CAPD's templates do.
  kubeletArgs: () => ({
    "eviction-hard": "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%",
  }),
};
