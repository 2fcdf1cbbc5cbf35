/**
 * Infrastructure provider configurations of a LatticeCluster. Exactly one of them is set
 * in `spec.provider.config`; each maps onto one Cluster API infrastructure provider.
 */
import { z } from "zod";

const gib = (what: string) =>
  z.int().min(8, "must be >= 8").max(65536, "must be <= 65536").describe(`${what} in GiB.`);

/** Local Docker machines (CAPD); used by the sandbox and kind-based tests. */
export const DockerConfigSchema = z.strictObject({
  customImage: z.string().min(1).optional()
    .describe("Node image to run instead of the kindest/node image matching the version."),
  kinds: z.enum(["dev", "docker"]).optional()
    .describe(
      "CAPD kinds: dev (DevCluster/DevMachineTemplate of Cluster API v1.14, the default) or " +
        "docker (the deprecated DockerCluster/DockerMachineTemplate, for clusters created " +
        "with them; see docs/adr/capd-dev-kinds.md).",
    ),
}).describe("Docker (CAPD) machines: for local and test clusters.");

/** Amazon Web Services (CAPA). */
export const AwsConfigSchema = z.strictObject({
  region: z.string().min(1).describe("AWS region, e.g. us-west-2."),
  cpInstanceType: z.string().min(1).default("t3.large")
    .describe("EC2 instance type of control-plane machines."),
  workerInstanceType: z.string().min(1).default("t3.xlarge")
    .describe("EC2 instance type of worker machines."),
  cpRootVolumeSize: gib("Root volume size of control-plane machines").default(100),
  workerRootVolumeSize: gib("Root volume size of worker machines").default(200),
  sshKeyName: z.string().min(1).optional().describe("Name of an EC2 key pair for SSH access."),
  ami: z.string().min(1).optional()
    .describe("AMI id to boot; CAPA's lookup picks one for the version when omitted."),
  identityRef: z.string().min(1).optional()
    .describe("Name of an AWSClusterStaticIdentity or AWSClusterRoleIdentity to use."),
  identityKind: z.enum(["AWSClusterStaticIdentity", "AWSClusterRoleIdentity"])
    .default("AWSClusterStaticIdentity")
    .describe("Kind of the identity named by identityRef (CAPA needs both)."),
}).describe("Amazon Web Services (CAPA) machines.");

/** OpenStack (CAPO). */
export const OpenstackConfigSchema = z.strictObject({
  cloudName: z.string().min(1).default("openstack")
    .describe("Name of the cloud entry in the clouds.yaml of credentialsSecret."),
  credentialsSecret: z.string().min(1)
    .describe("Secret (in the cluster's capi-<name> namespace) holding clouds.yaml."),
  cpFlavor: z.string().min(1).describe("Flavor of control-plane machines."),
  workerFlavor: z.string().min(1).describe("Flavor of worker machines."),
  image: z.string().min(1).describe("Name of the Glance image to boot."),
  sshKeyName: z.string().min(1).optional().describe("Nova key pair name for SSH access."),
  externalNetworkId: z.string().min(1).optional()
    .describe("External network id for the router and floating IPs."),
  dnsNameservers: z.array(z.string().min(1)).optional()
    .describe("DNS servers of the cluster subnet."),
}).describe("OpenStack (CAPO) machines.");

/** Proxmox VE (CAPMOX). */
export const ProxmoxConfigSchema = z.strictObject({
  credentialsSecret: z.string().min(1)
    .describe("Secret holding url, token and secret of the Proxmox API."),
  controlPlaneEndpoint: z.string().min(1)
    .describe("Virtual IP or DNS name of the Kubernetes API (kube-vip)."),
  sourceNode: z.string().min(1).describe("Proxmox node holding the VM template."),
  templateId: z.int().min(100, "must be >= 100").describe("VM id of the template to clone."),
  allowedNodes: z.array(z.string().min(1)).optional()
    .describe("Proxmox nodes machines may be placed on."),
  ipv4Pool: z.strictObject({
    addresses: z.array(z.string().min(1)).min(1, "must list at least one address range")
      .describe("Address ranges, e.g. 10.10.10.10-10.10.10.50."),
    prefix: z.int().min(1).max(32).describe("Prefix length of the node network."),
    gateway: z.string().min(1).describe("Default gateway of the node network."),
  }).describe("Static IPv4 addresses for machines."),
  dnsServers: z.array(z.string().min(1)).min(1, "must list at least one server")
    .describe("DNS servers of the machines."),
  bridge: z.string().min(1).default("vmbr0")
    .describe("Proxmox network bridge the machines' first NIC attaches to."),
  cpCores: z.int().min(1).default(4).describe("vCPUs of control-plane machines."),
  cpMemoryMiB: z.int().min(1024).multipleOf(8, "must be a multiple of 8").default(8192).describe(
    "Memory of control-plane machines.",
  ),
  cpDiskSize: gib("Boot disk size of control-plane machines").default(50),
  workerCores: z.int().min(1).default(4).describe("vCPUs of worker machines."),
  workerMemoryMiB: z.int().min(1024).multipleOf(8, "must be a multiple of 8")
    .default(16384).describe("Memory of worker machines."),
  workerDiskSize: gib("Boot disk size of worker machines").default(100),
}).describe("Proxmox VE (CAPMOX) machines.");

/** Google Cloud (CAPG). */
export const GcpConfigSchema = z.strictObject({
  project: z.string().min(1).describe("GCP project id."),
  region: z.string().min(1).describe("GCP region, e.g. europe-west4."),
  network: z.string().min(1).default("default").describe("VPC network name."),
  cpMachineType: z.string().min(1).default("n2-standard-4")
    .describe("Machine type of control-plane machines."),
  workerMachineType: z.string().min(1).default("n2-standard-8")
    .describe("Machine type of worker machines."),
  image: z.string().min(1).optional()
    .describe("Full image URL; CAPG's default image for the version when omitted."),
  credentialsSecret: z.string().min(1).optional()
    .describe("Secret holding a service-account key; workload identity when omitted."),
}).describe("Google Cloud (CAPG) machines.");

/** Microsoft Azure (CAPZ). */
export const AzureConfigSchema = z.strictObject({
  location: z.string().min(1).describe("Azure region, e.g. westeurope."),
  subscriptionId: z.string().min(1).describe("Azure subscription id."),
  resourceGroup: z.string().min(1).optional()
    .describe("Resource group; defaults to the cluster name."),
  identityRef: z.string().min(1).describe("Name of the AzureClusterIdentity to use."),
  cpVmSize: z.string().min(1).default("Standard_D4s_v5")
    .describe("VM size of control-plane machines."),
  workerVmSize: z.string().min(1).default("Standard_D8s_v5")
    .describe("VM size of worker machines."),
  sshPublicKey: z.string().min(1).optional()
    .describe("SSH public key (OpenSSH format) for the machines' admin user."),
}).describe("Microsoft Azure (CAPZ) machines.");

/** The names of the supported providers, in documentation order. */
export const PROVIDERS = ["docker", "aws", "openstack", "proxmox", "gcp", "azure"] as const;

/** A supported infrastructure provider. */
export type ProviderName = (typeof PROVIDERS)[number];

/** `spec.provider.config`: exactly one provider key. */
export const ProviderConfigSchema = z.strictObject({
  docker: DockerConfigSchema.optional(),
  aws: AwsConfigSchema.optional(),
  openstack: OpenstackConfigSchema.optional(),
  proxmox: ProxmoxConfigSchema.optional(),
  gcp: GcpConfigSchema.optional(),
  azure: AzureConfigSchema.optional(),
}).superRefine((config, ctx) => {
  const set = PROVIDERS.filter((p) => config[p] !== undefined);
  if (set.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message: set.length === 0
        ? `must set exactly one provider (one of ${PROVIDERS.join(", ")})`
        : `must set exactly one provider, found ${set.length}: ${set.join(", ")}`,
    });
  }
}).meta({ minProperties: 1, maxProperties: 1 })
  .describe(`Infrastructure provider settings; exactly one of ${PROVIDERS.join(", ")}.`);

/** Settings of one infrastructure provider. */
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;

/** Which provider a config selects (the schema guarantees exactly one). */
export function providerOf(config: ProviderConfig): ProviderName {
  const name = PROVIDERS.find((p) => config[p] !== undefined);
  if (!name) throw new Error("Cannot determine provider: spec.provider.config is empty");
  return name;
}
