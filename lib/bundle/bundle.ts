/**
 * The bundle of objects that installs Lattice into a cluster: the plain install
 * (manifests/) and the child bundle a parent cell hands to `lattice join`. Objects come in
 * apply order: Namespace, CRDs, RBAC, workload, then objects that need the CRDs.
 */
import { stringify } from "yaml";
import { API_VERSION, type LatticeClusterSpec, latticeCrds } from "../api/mod.ts";
import type { KubeObject } from "../kube/types.ts";
import { ciliumLbIpamObjects } from "../capi/cilium.ts";
import { AGENT_SECRET_KEYS, AGENT_SECRET_NAME, commonLabels, NAMESPACE } from "./names.ts";
import { capiInitObjects, cniConfigMap, cniObjects } from "./addons.ts";
import { operatorObjects, type OperatorOptions } from "./operator.ts";
import { rbacObjects } from "./rbac.ts";
import { cloudAddonObjects } from "./cloud/cloud.ts";

/** The child's own cluster, as the parent knows it. */
export interface BundleCluster {
  name: string;
  labels?: Record<string, string>;
  spec: LatticeClusterSpec;
}

/** What the parent issued to the child's agent (never its private key). */
export interface BundleAgent {
  /** Client certificate, PEM. */
  certificatePem: string;
  /** The parent cell's CA bundle, PEM. */
  caBundlePem: string;
  /** The parent's gRPC endpoint, `host:port`. */
  grpcEndpoint: string;
}

/** Options for {@linkcode childBundle} and {@linkcode installBundle}. */
export interface BundleOptions extends OperatorOptions {
  /**
   * The parent cell's CNI manifests (its `lattice-cni` ConfigMap): the child applies them
   * and keeps a copy for its own children.
   */
  cniManifests?: string;
  /** OpenStack: the `cloud.conf` of the child's cloud controller manager (lib/bundle/cloud). */
  openstackCloudConf?: string;
  /**
   * The parent's Cluster API components the child needs (ConfigMaps labelled
   * `lattice.dev/capi-components`, lib/providers/components.ts): capi-init installs from them.
   */
  capiComponents?: readonly KubeObject[];
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The Namespace lattice-system. */
export function namespaceObject(): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: NAMESPACE,
      labels: {
        ...commonLabels(),
        "pod-security.kubernetes.io/enforce": "restricted",
      },
    },
  };
}

/**
 * The agent Secret as the parent sends it: certificate, CA bundle, endpoint. `lattice
 * join` adds `tls.key` from the key it generated, so the key never crosses the network.
 */
export function agentSecret(cluster: string, agent: BundleAgent): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: AGENT_SECRET_NAME, namespace: NAMESPACE, labels: commonLabels("agent") },
    type: "Opaque",
    data: {
      [AGENT_SECRET_KEYS.certificate]: base64(agent.certificatePem),
      [AGENT_SECRET_KEYS.caBundle]: base64(agent.caBundlePem),
      [AGENT_SECRET_KEYS.endpoint]: base64(agent.grpcEndpoint),
      [AGENT_SECRET_KEYS.cluster]: base64(cluster),
    },
  };
}

/** The child's own LatticeCluster: spec only (status is the child's to write). */
export function ownLatticeCluster(cluster: BundleCluster): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "LatticeCluster",
    metadata: { name: cluster.name, ...(cluster.labels ? { labels: cluster.labels } : {}) },
    spec: cluster.spec as unknown as Record<string, unknown>,
  };
}

// Generating the CRDs from zod costs ~15 ms and their input never changes in a process.
let crdCache: KubeObject[] | undefined;

function crds(): KubeObject[] {
  crdCache ??= latticeCrds() as unknown as KubeObject[];
  return structuredClone(crdCache);
}

function base(options: BundleOptions): KubeObject[] {
  return [
    namespaceObject(),
    ...crds(),
    ...rbacObjects(),
    ...operatorObjects(options),
  ];
}

/** The plain install of Lattice (manifests/): no parent, no LatticeCluster. */
export function installBundle(options: BundleOptions = {}): KubeObject[] {
  return base(options);
}

/**
 * Everything a new child applies: the namespace, the parent's CNI (when it carries one),
 * the cloud controller manager and CSI driver of its provider (lib/bundle/cloud), the install, the Cluster API install Job, its own LatticeCluster, Cilium LB-IPAM when
 * `spec.networking.default` is set, and the agent Secret last (its presence with a valid
 * certificate marks the join complete).
 */
export function childBundle(
  cluster: BundleCluster,
  agent: BundleAgent,
  options: BundleOptions = {},
): KubeObject[] {
  const cell = cluster.spec.cell;
  const [namespace, ...install] = base({
    serviceType: cell?.service?.type,
    httpsPort: cell?.ports?.https,
    grpcPort: cell?.ports?.grpc,
    ...options,
  });
  const cni = options.cniManifests;
  return [
    namespace,
    ...(cni ? [...cniObjects(cni, "the cell's lattice-cni ConfigMap"), cniConfigMap(cni)] : []),
    ...cloudAddonObjects(cluster.spec, { openstackCloudConf: options.openstackCloudConf }),
    ...install,
    ...(options.capiComponents ?? []),
    ...capiInitObjects(cluster.name, options.image),
    ownLatticeCluster(cluster),
    ...ciliumLbIpamObjects({
      apiVersion: API_VERSION,
      kind: "LatticeCluster",
      metadata: { name: cluster.name },
      spec: cluster.spec,
    }) as KubeObject[],
    agentSecret(cluster.name, agent),
  ];
}

/** Renders objects as one multi-document YAML text. */
export function renderManifests(objects: readonly KubeObject[], header?: string): string {
  const docs = objects.map((o) => "---\n" + stringify(o, { lineWidth: 0 }));
  return (header ? header.trimEnd() + "\n" : "") + docs.join("");
}
