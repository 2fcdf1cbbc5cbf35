/**
 * Google Cloud (CAPG v1.12, infrastructure.cluster.x-k8s.io/v1beta1).
 */
import type { InfraProvider } from "../types.ts";
import { configOf, EXTERNAL_CLOUD_PROVIDER } from "./_config.ts";

/** The GCP provider. */
export const gcpProvider: InfraProvider = {
  name: "gcp",
  apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
  clusterKind: "GCPCluster",
  machineTemplateKind: "GCPMachineTemplate",
  clusterSpec(ctx) {
    const config = configOf(ctx, "gcp");
    return {
      project: config.project,
      region: config.region,
      network: { name: config.network },
      ...(config.credentialsSecret
        ? { credentialsRef: { name: config.credentialsSecret, namespace: ctx.namespace } }
        : {}),
    };
  },
  machineSpec(ctx, role) {
    const config = configOf(ctx, "gcp");
    return {
      instanceType: role === "control-plane" ? config.cpMachineType : config.workerMachineType,
      ...(config.image ? { image: config.image } : {}),
    };
  },
  kubeletArgs: () => EXTERNAL_CLOUD_PROVIDER,
};
