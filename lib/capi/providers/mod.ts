/**
 * The infrastructure providers, one file each, and their registry.
 *
 * @module
 */
import type { ProviderName } from "../../api/mod.ts";
import type { InfraProvider } from "../types.ts";
import { awsProvider } from "./aws.ts";
import { azureProvider } from "./azure.ts";
import { dockerProvider, legacyDockerProvider } from "./docker.ts";
import { gcpProvider } from "./gcp.ts";
import { openstackProvider } from "./openstack.ts";
import { proxmoxProvider } from "./proxmox.ts";

export { awsProvider } from "./aws.ts";
export { azureProvider } from "./azure.ts";
export { dockerProvider, legacyDockerProvider } from "./docker.ts";
export { gcpProvider } from "./gcp.ts";
export { openstackProvider } from "./openstack.ts";
export { kubeVipManifest, proxmoxProvider } from "./proxmox.ts";

/** Every provider by name. */
export const INFRA_PROVIDERS: Readonly<Record<ProviderName, InfraProvider>> = {
  docker: dockerProvider,
  aws: awsProvider,
  openstack: openstackProvider,
  proxmox: proxmoxProvider,
  gcp: gcpProvider,
  azure: azureProvider,
};

/** The provider named `name`. */
export function infraProvider(name: ProviderName): InfraProvider {
  return INFRA_PROVIDERS[name];
}

/** The provider of a cluster, honouring the docker provider's `kinds` choice. */
export function infraProviderOf(
  name: ProviderName,
  config: { docker?: { kinds?: "dev" | "docker" } },
): InfraProvider {
  return name === "docker" && config.docker?.kinds === "docker"
    ? legacyDockerProvider
    : INFRA_PROVIDERS[name];
}
