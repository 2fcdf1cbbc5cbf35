/**
 * The infrastructure providers, one file each, and their registry.
 *
 * @module
 */
import type { ProviderName } from "../../api/mod.ts";
import type { InfraProvider } from "../types.ts";
import { awsProvider } from "./aws.ts";
import { azureProvider } from "./azure.ts";
import { dockerProvider } from "./docker.ts";
import { gcpProvider } from "./gcp.ts";
import { openstackProvider } from "./openstack.ts";
import { proxmoxProvider } from "./proxmox.ts";

export { awsProvider } from "./aws.ts";
export { azureProvider } from "./azure.ts";
export { dockerProvider } from "./docker.ts";
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
