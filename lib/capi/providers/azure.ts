/**
 * Microsoft Azure (CAPZ v1.26, infrastructure.cluster.x-k8s.io/v1beta1).
 */
import { Buffer } from "node:buffer";
import type { InfraProvider } from "../types.ts";
import { configOf, EXTERNAL_CLOUD_PROVIDER } from "./_config.ts";

/** OS disk size of every machine, in GiB. */
export const AZURE_OS_DISK_GIB = 128;

/** The Azure provider. */
export const azureProvider: InfraProvider = {
  name: "azure",
  apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
  clusterKind: "AzureCluster",
  machineTemplateKind: "AzureMachineTemplate",
  clusterSpec(ctx) {
    const config = configOf(ctx, "azure");
    return {
      location: config.location,
      subscriptionID: config.subscriptionId,
      resourceGroup: config.resourceGroup ?? ctx.name,
      // The identity lives beside the cluster's objects (or allows capi-* namespaces).
      identityRef: {
        apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
        kind: "AzureClusterIdentity",
        name: config.identityRef,
      },
    };
  },
  machineSpec(ctx, role) {
    const config = configOf(ctx, "azure");
    return {
      vmSize: role === "control-plane" ? config.cpVmSize : config.workerVmSize,
      osDisk: { osType: "Linux", diskSizeGB: AZURE_OS_DISK_GIB },
      // CAPZ takes the OpenSSH key base64-encoded; when empty it generates one.
      sshPublicKey: config.sshPublicKey
        ? Buffer.from(config.sshPublicKey, "utf8").toString("base64")
        : "",
    };
  },
  kubeletArgs: () => EXTERNAL_CLOUD_PROVIDER,
  // CAPZ writes the cloud config of each machine template into `<template>-azure-json`.
  machineFiles: (_ctx, templateName, role) => [{
    path: "/etc/kubernetes/azure.json",
    owner: "root:root",
    permissions: "0644",
    contentFrom: {
      secret: {
        name: `${templateName}-azure-json`,
        key: role === "control-plane" ? "control-plane-azure.json" : "worker-node-azure.json",
      },
    },
  }],
};
