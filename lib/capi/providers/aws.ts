/**
 * Amazon Web Services (CAPA v2.11, infrastructure.cluster.x-k8s.io/v1beta2).
 */
import type { InfraProvider } from "../types.ts";
import { configOf, EXTERNAL_CLOUD_PROVIDER } from "./_config.ts";

/** Instance profiles created by `clusterawsadm bootstrap iam`. */
const PROFILES = {
  "control-plane": "control-plane.cluster-api-provider-aws.sigs.k8s.io",
  worker: "nodes.cluster-api-provider-aws.sigs.k8s.io",
} as const;

/** The AWS provider. */
export const awsProvider: InfraProvider = {
  name: "aws",
  apiVersion: "infrastructure.cluster.x-k8s.io/v1beta2",
  clusterKind: "AWSCluster",
  machineTemplateKind: "AWSMachineTemplate",
  clusterSpec(ctx) {
    const config = configOf(ctx, "aws");
    return {
      region: config.region,
      ...(config.sshKeyName ? { sshKeyName: config.sshKeyName } : {}),
      ...(config.identityRef
        ? { identityRef: { kind: config.identityKind, name: config.identityRef } }
        : {}),
    };
  },
  machineSpec(ctx, role) {
    const config = configOf(ctx, "aws");
    const cp = role === "control-plane";
    return {
      instanceType: cp ? config.cpInstanceType : config.workerInstanceType,
      iamInstanceProfile: PROFILES[role],
      rootVolume: { size: cp ? config.cpRootVolumeSize : config.workerRootVolumeSize },
      ...(config.sshKeyName ? { sshKeyName: config.sshKeyName } : {}),
      ...(config.ami ? { ami: { id: config.ami } } : {}),
    };
  },
  kubeletArgs: () => EXTERNAL_CLOUD_PROVIDER,
};
