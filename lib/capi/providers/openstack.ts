/**
 * OpenStack (CAPO v0.14, infrastructure.cluster.x-k8s.io/v1beta1).
 */
import type { InfraProvider } from "../types.ts";
import { configOf, EXTERNAL_CLOUD_PROVIDER } from "./_config.ts";

/** Subnet CAPO creates for the cluster's machines. */
export const OPENSTACK_NODE_CIDR = "10.6.0.0/24";

/** The OpenStack provider. */
export const openstackProvider: InfraProvider = {
  name: "openstack",
  apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
  clusterKind: "OpenStackCluster",
  machineTemplateKind: "OpenStackMachineTemplate",
  clusterSpec(ctx) {
    const config = configOf(ctx, "openstack");
    return {
      identityRef: { type: "Secret", name: config.credentialsSecret, cloudName: config.cloudName },
      apiServerLoadBalancer: { enabled: true },
      managedSecurityGroups: { allowAllInClusterTraffic: true },
      managedSubnets: [{
        cidr: OPENSTACK_NODE_CIDR,
        ...(config.dnsNameservers ? { dnsNameservers: [...config.dnsNameservers] } : {}),
      }],
      ...(config.externalNetworkId ? { externalNetwork: { id: config.externalNetworkId } } : {}),
    };
  },
  machineSpec(ctx, role) {
    const config = configOf(ctx, "openstack");
    return {
      flavor: role === "control-plane" ? config.cpFlavor : config.workerFlavor,
      image: { filter: { name: config.image } },
      ...(config.sshKeyName ? { sshKeyName: config.sshKeyName } : {}),
    };
  },
  kubeletArgs: () => EXTERNAL_CLOUD_PROVIDER,
};
