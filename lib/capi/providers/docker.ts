/**
 * Docker (CAPD, infrastructure.cluster.x-k8s.io/v1beta2): local clusters for development
 * and tests. CAPD v1.14 marks Docker* deprecated in favour of Dev*, but still serves them.
 */
import type { InfraProvider } from "../types.ts";
import { configOf } from "./_config.ts";

/** The Docker provider. */
export const dockerProvider: InfraProvider = {
  name: "docker",
  apiVersion: "infrastructure.cluster.x-k8s.io/v1beta2",
  clusterKind: "DockerCluster",
  machineTemplateKind: "DockerMachineTemplate",
  clusterSpec: () => ({}),
  machineSpec(ctx) {
    const config = configOf(ctx, "docker");
    // Without customImage CAPD picks the kindest/node image of the machine's version,
    // which keeps upgrades a version bump.
    return config.customImage ? { customImage: config.customImage } : {};
  },
  // kind nodes share the host's disk: disable disk-pressure eviction as CAPD's templates do.
  kubeletArgs: () => ({
    "eviction-hard": "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%",
  }),
};
