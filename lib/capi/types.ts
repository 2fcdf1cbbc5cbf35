/**
 * Shapes shared by the Cluster API generators: the Kubernetes objects they emit, the cell's
 * bootstrap information they embed, and the per-cluster context a provider reads.
 */
import type { LatticeCluster, ProviderName } from "../api/mod.ts";
import type { ObjectMeta as KubeObjectMeta } from "../kube/mod.ts";

/**
 * Metadata of a generated object: the client's ObjectMeta with a name, so generated objects
 * go to the Kubernetes client as they are.
 */
export interface ObjectMeta extends KubeObjectMeta {
  name: string;
}

/** A Kubernetes object as generated: apiVersion, kind, metadata and free-form body. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A v1beta2 contract reference (`apiGroup` + `kind` + `name`, no version). */
export interface ContractRef {
  apiGroup: string;
  kind: string;
  name: string;
}

/** How a new cluster reaches its parent cell during bootstrap. Nothing here is secret. */
export interface BootstrapInfo {
  /** Base URL of the cell's bootstrap webhook, e.g. `https://cell.example.com:8443`. */
  cellUrl: string;
  /** PEM of the CA that signs the cell's serving certificate; pinned by curl and join. */
  caBundlePem: string;
  /** Secret in `capi-<name>` holding the one-time bootstrap token (never inlined). */
  tokenSecretName: string;
  /** Key of the token in that Secret; default `token`. */
  tokenSecretKey?: string;
  /**
   * URL of the lattice binary; default `<cellUrl>/bootstrap/binary/linux/` followed by the
   * node's `uname -m`, so one URL shape serves amd64 and arm64 machines.
   */
  binaryUrl?: string;
}

/** Machine role: control plane or worker. */
export type MachineRole = "control-plane" | "worker";

/** A file CAPI writes on a machine before bootstrap (kubeadm and RKE2 share this shape). */
export interface BootstrapFile {
  path: string;
  owner?: string;
  permissions?: string;
  content?: string;
  contentFrom?: { secret: { name: string; key: string } };
}

/** Everything a generator needs about one cluster, computed once. */
export interface GenerationContext {
  /** The LatticeCluster (defaults applied). */
  cluster: LatticeCluster;
  /** Cluster name; also the CAPI Cluster's name. */
  name: string;
  /** `capi-<name>`. */
  namespace: string;
  /** The labels every generated object carries. */
  labels: Record<string, string>;
  /** The provider selected by `spec.provider.config`. */
  provider: ProviderName;
  /** Kubernetes version without a leading `v`, e.g. `1.31.0`. */
  version: string;
  /** Pod CIDR blocks. */
  podCidrs: string[];
  /** Service CIDR blocks. */
  serviceCidrs: string[];
}

/** One Cluster API infrastructure provider. */
export interface InfraProvider {
  /** Lattice's name of the provider. */
  name: ProviderName;
  /** `infrastructure.cluster.x-k8s.io/<version>` served by the provider's CRDs. */
  apiVersion: string;
  /** Kind of the infrastructure cluster, e.g. `AWSCluster`. */
  clusterKind: string;
  /** Kind of the machine template, e.g. `AWSMachineTemplate`. */
  machineTemplateKind: string;
  /** `spec` of the infrastructure cluster. */
  clusterSpec(ctx: GenerationContext): Record<string, unknown>;
  /** `spec.template.spec` of a machine template for `role`. */
  machineSpec(ctx: GenerationContext, role: MachineRole): Record<string, unknown>;
  /** Extra kubelet arguments the provider needs (e.g. `cloud-provider=external`). */
  kubeletArgs(ctx: GenerationContext, role: MachineRole): Record<string, string>;
  /** Extra files on control-plane machines (e.g. a kube-vip static pod). */
  controlPlaneFiles?(ctx: GenerationContext, bootstrap: "kubeadm" | "rke2"): BootstrapFile[];
  /** Commands control-plane nodes run before kubeadm/RKE2 starts. */
  controlPlanePreCommands?(ctx: GenerationContext, bootstrap: "kubeadm" | "rke2"): string[];
  /** Extra files on machines created from the named machine template (e.g. azure.json). */
  machineFiles?(ctx: GenerationContext, templateName: string, role: MachineRole): BootstrapFile[];
}
