/**
 * LatticeClusters for every provider, shared by the golden, unit and dry-run tests.
 */
import {
  type LatticeCluster,
  type LatticeClusterInput,
  LatticeClusterSchema,
  type ProviderConfig,
  type ProviderName,
  PROVIDERS,
} from "../../lib/api/mod.ts";
import type { BootstrapInfo } from "../../lib/capi/mod.ts";

/** A syntactically valid PEM (not a real certificate: generation only copies it). */
export const TEST_CA_PEM = "-----BEGIN CERTIFICATE-----\n" +
  "MIIBdzCCAR2gAwIBAgIUTESTTESTTESTTESTTESTTESTTESTwCgYIKoZIzj0EAwIw\n" +
  "-----END CERTIFICATE-----\n";

/** The cell bootstrap information used by the tests. */
export function testBootstrap(): BootstrapInfo {
  return {
    cellUrl: "https://cell.example.com:8443",
    caBundlePem: TEST_CA_PEM,
    tokenSecretName: "lattice-bootstrap-token",
  };
}

/** A full config of each provider, every optional field set. */
export const PROVIDER_CONFIGS: Record<ProviderName, ProviderConfig> = {
  docker: { docker: { customImage: "kindest/node:v1.31.0" } },
  aws: {
    aws: {
      region: "us-west-2",
      cpInstanceType: "t3.large",
      workerInstanceType: "t3.xlarge",
      cpRootVolumeSize: 100,
      workerRootVolumeSize: 200,
      sshKeyName: "lattice-key",
      ami: "ami-0123456789abcdef0",
      identityRef: "lattice-aws",
      identityKind: "AWSClusterRoleIdentity",
    },
  },
  openstack: {
    openstack: {
      cloudName: "openstack",
      credentialsSecret: "openstack-cloud-config",
      cpFlavor: "m1.large",
      workerFlavor: "m1.xlarge",
      image: "ubuntu-2204-kube-v1.31.0",
      sshKeyName: "lattice-key",
      externalNetworkId: "0a1b2c3d-0000-4000-8000-000000000001",
      dnsNameservers: ["8.8.8.8"],
    },
  },
  proxmox: {
    proxmox: {
      credentialsSecret: "proxmox-credentials",
      controlPlaneEndpoint: "10.10.10.5",
      sourceNode: "pve1",
      templateId: 9000,
      allowedNodes: ["pve1", "pve2"],
      ipv4Pool: { addresses: ["10.10.10.10-10.10.10.50"], prefix: 24, gateway: "10.10.10.1" },
      dnsServers: ["10.10.10.1"],
      bridge: "vmbr0",
      cpCores: 4,
      cpMemoryMiB: 8192,
      cpDiskSize: 50,
      workerCores: 8,
      workerMemoryMiB: 16384,
      workerDiskSize: 100,
    },
  },
  gcp: {
    gcp: {
      project: "lattice-prod",
      region: "europe-west4",
      network: "default",
      cpMachineType: "n2-standard-4",
      workerMachineType: "n2-standard-8",
      image: "projects/lattice-prod/global/images/ubuntu-2204-kube-v1-31-0",
      credentialsSecret: "gcp-credentials",
    },
  },
  azure: {
    azure: {
      location: "westeurope",
      subscriptionId: "00000000-0000-4000-8000-000000000000",
      resourceGroup: "lattice-prod",
      identityRef: "lattice-azure",
      cpVmSize: "Standard_D4s_v5",
      workerVmSize: "Standard_D8s_v5",
      sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITESTKEY lattice@example.com",
    },
  },
};

/** Options of {@linkcode providerCluster}. */
export interface ProviderClusterOptions {
  name?: string;
  bootstrap?: "kubeadm" | "rke2";
  version?: string;
  controlPlane?: number;
  workers?: number;
  certSANs?: string[];
  networking?: LatticeClusterInput["spec"]["networking"];
  minimal?: boolean;
  /** Make the cluster a cell as on kind/CAPD: NodePort, no host. */
  cell?: boolean;
}

/** Only the required fields of each provider (defaults fill the rest). */
export function minimalConfig(provider: ProviderName): ProviderConfig {
  const full = structuredClone(PROVIDER_CONFIGS[provider]) as Record<
    string,
    Record<string, unknown>
  >;
  const keep: Record<ProviderName, string[]> = {
    docker: [],
    aws: ["region"],
    openstack: ["credentialsSecret", "cpFlavor", "workerFlavor", "image"],
    proxmox: [
      "credentialsSecret",
      "controlPlaneEndpoint",
      "sourceNode",
      "templateId",
      "ipv4Pool",
      "dnsServers",
    ],
    gcp: ["project", "region"],
    azure: ["location", "subscriptionId", "identityRef"],
  };
  const config = full[provider];
  for (const key of Object.keys(config)) if (!keep[provider].includes(key)) delete config[key];
  return full as ProviderConfig;
}

/** A parsed (defaults applied) LatticeCluster on `provider`. */
export function providerCluster(
  provider: ProviderName,
  options: ProviderClusterOptions = {},
): LatticeCluster {
  const input: LatticeClusterInput = {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name: options.name ?? `${provider}-1` },
    spec: {
      provider: {
        kubernetes: {
          version: options.version ?? "1.31.0",
          bootstrap: options.bootstrap ?? "kubeadm",
          ...(options.minimal ? {} : {
            certSANs: options.certSANs ?? [`${options.name ?? `${provider}-1`}.example.com`],
          }),
        },
        config: options.minimal ? minimalConfig(provider) : PROVIDER_CONFIGS[provider],
      },
      nodes: { controlPlane: options.controlPlane ?? 3, workers: options.workers ?? 2 },
      ...(options.minimal ? {} : {
        networking: options.networking ?? {
          default: { cidr: "172.18.255.1/32" },
          pods: "10.244.0.0/16",
          services: "10.96.0.0/12",
        },
      }),
      // The root names no parent (a cellRef naming the cluster itself is refused).
      ...(options.name === "root" ? {} : { cellRef: "root" }),
      ...(options.cell
        ? { cell: { service: { type: "NodePort" }, ports: { https: 31443, grpc: 31051 } } }
        : {}),
    },
  };
  return LatticeClusterSchema.parse(input);
}

/** Every provider × bootstrap pair. */
export const MATRIX: { provider: ProviderName; bootstrap: "kubeadm" | "rke2" }[] = PROVIDERS
  .flatMap((provider) =>
    (["kubeadm", "rke2"] as const).map((bootstrap) => ({ provider, bootstrap }))
  );
