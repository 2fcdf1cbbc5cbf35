/**
 * The whole Cluster API object set of one LatticeCluster: Namespace, Cluster, control
 * plane, MachineDeployment, bootstrap config template and the infrastructure cluster and
 * machine templates of its provider. Pure: same input, same objects.
 */
import {
  DEFAULT_POD_CIDR,
  DEFAULT_SERVICE_CIDR,
  type LatticeCluster,
  providerOf,
} from "../api/mod.ts";
import { hashedName } from "./hash.ts";
import {
  CLUSTER,
  CONTROL_PLANE_GROUP,
  controlPlaneType,
  groupOf,
  MACHINE_DEPLOYMENT,
} from "./kinds.ts";
import { kubeadmConfigTemplate, kubeadmControlPlane } from "./kubeadm.ts";
import {
  CAPI_CLUSTER_LABEL,
  capiNamespace,
  clusterLabels,
  controlPlaneName,
  DEPLOYMENT_NAME_LABEL,
  machineDeploymentName,
} from "./labels.ts";
import { infraProviderOf } from "./providers/mod.ts";
import { rke2ConfigTemplate, rke2ControlPlane, rke2Version } from "./rke2.ts";
import type {
  BootstrapInfo,
  ContractRef,
  GenerationContext,
  InfraProvider,
  KubeObject,
  MachineRole,
} from "./types.ts";

// Pod and service CIDRs when spec.networking leaves them unset (declared with the rules).
export { DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR };

/** The generated objects of one cluster, by role and in apply order. */
export interface CapiManifests {
  /** `capi-<name>`. */
  namespace: string;
  /** Every object, Namespace first, in an order that needs no retries to apply. */
  objects: KubeObject[];
  /** The CAPI Cluster. */
  cluster: KubeObject;
  /** KubeadmControlPlane or RKE2ControlPlane. */
  controlPlane: KubeObject;
  /** The workers' MachineDeployment. */
  machineDeployment: KubeObject;
  /** The provider's infrastructure cluster. */
  infraCluster: KubeObject;
  /** Control-plane machine template (content-hashed name). */
  controlPlaneTemplate: KubeObject;
  /** Worker machine template (content-hashed name). */
  workerTemplate: KubeObject;
  /** KubeadmConfigTemplate or RKE2ConfigTemplate (content-hashed name). */
  bootstrapTemplate: KubeObject;
}

/** The generation context of a cluster: names, labels, version and CIDRs resolved once. */
export function generationContext(cluster: LatticeCluster): GenerationContext {
  const name = cluster.metadata.name;
  const networking = cluster.spec.networking;
  return {
    cluster,
    name,
    namespace: capiNamespace(name),
    labels: clusterLabels(name),
    provider: providerOf(cluster.spec.provider.config),
    version: cluster.spec.provider.kubernetes.version.replace(/^v/, ""),
    podCidrs: [networking?.pods ?? DEFAULT_POD_CIDR],
    serviceCidrs: [networking?.services ?? DEFAULT_SERVICE_CIDR],
  };
}

/** The version string MachineDeployments and control planes carry for a bootstrap. */
export function capiVersion(version: string, bootstrap: "kubeadm" | "rke2"): string {
  return bootstrap === "rke2" ? rke2Version(version) : `v${version.replace(/^v/, "")}`;
}

function refTo(obj: KubeObject): ContractRef {
  return { apiGroup: groupOf(obj.apiVersion), kind: obj.kind, name: obj.metadata.name };
}

function machineTemplate(
  ctx: GenerationContext,
  provider: InfraProvider,
  role: MachineRole,
): KubeObject {
  const template = { spec: provider.machineSpec(ctx, role) };
  const base = role === "control-plane"
    ? controlPlaneName(ctx.name)
    : machineDeploymentName(ctx.name);
  return {
    apiVersion: provider.apiVersion,
    kind: provider.machineTemplateKind,
    metadata: {
      name: hashedName(base, { kind: provider.machineTemplateKind, template }),
      namespace: ctx.namespace,
      labels: ctx.labels,
    },
    spec: { template },
  };
}

function machineDeployment(
  ctx: GenerationContext,
  bootstrapTemplate: KubeObject,
  workerTemplate: KubeObject,
): KubeObject {
  const name = machineDeploymentName(ctx.name);
  const selector = { [CAPI_CLUSTER_LABEL]: ctx.name, [DEPLOYMENT_NAME_LABEL]: name };
  return {
    ...MACHINE_DEPLOYMENT,
    metadata: { name, namespace: ctx.namespace, labels: ctx.labels },
    spec: {
      clusterName: ctx.name,
      replicas: ctx.cluster.spec.nodes.workers,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...ctx.labels, ...selector } },
        spec: {
          clusterName: ctx.name,
          version: capiVersion(ctx.version, ctx.cluster.spec.provider.kubernetes.bootstrap),
          bootstrap: { configRef: refTo(bootstrapTemplate) },
          infrastructureRef: refTo(workerTemplate),
        },
      },
    },
  };
}

/**
 * Generates every CAPI object of `cluster`. `bootstrap` tells the control plane how to
 * reach the parent cell; it carries the token Secret's name, never the token.
 */
export function generateCapiObjects(
  cluster: LatticeCluster,
  bootstrap: BootstrapInfo,
): CapiManifests {
  const ctx = generationContext(cluster);
  const provider = infraProviderOf(ctx.provider, cluster.spec.provider.config);
  const flavour = cluster.spec.provider.kubernetes.bootstrap;
  const meta = (name: string) => ({ name, namespace: ctx.namespace, labels: ctx.labels });

  const infraCluster: KubeObject = {
    apiVersion: provider.apiVersion,
    kind: provider.clusterKind,
    metadata: meta(ctx.name),
    spec: provider.clusterSpec(ctx),
  };
  const controlPlaneTemplate = machineTemplate(ctx, provider, "control-plane");
  const workerTemplate = machineTemplate(ctx, provider, "worker");
  const cpOptions = { machineTemplate: refTo(controlPlaneTemplate), bootstrap };
  const controlPlane = flavour === "rke2"
    ? rke2ControlPlane(ctx, provider, cpOptions)
    : kubeadmControlPlane(ctx, provider, cpOptions);
  const bootstrapTemplate = flavour === "rke2"
    ? rke2ConfigTemplate(ctx, provider, workerTemplate.metadata.name)
    : kubeadmConfigTemplate(ctx, provider, workerTemplate.metadata.name);
  const md = machineDeployment(ctx, bootstrapTemplate, workerTemplate);
  const capiCluster: KubeObject = {
    ...CLUSTER,
    metadata: meta(ctx.name),
    spec: {
      clusterNetwork: {
        pods: { cidrBlocks: ctx.podCidrs },
        services: { cidrBlocks: ctx.serviceCidrs },
      },
      controlPlaneRef: {
        apiGroup: CONTROL_PLANE_GROUP,
        kind: controlPlaneType(flavour).kind,
        name: controlPlane.metadata.name,
      },
      infrastructureRef: refTo(infraCluster),
    },
  };
  const namespace: KubeObject = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ctx.namespace, labels: ctx.labels },
  };
  return {
    namespace: ctx.namespace,
    objects: [
      namespace,
      infraCluster,
      controlPlaneTemplate,
      workerTemplate,
      bootstrapTemplate,
      controlPlane,
      md,
      capiCluster,
    ],
    cluster: capiCluster,
    controlPlane,
    machineDeployment: md,
    infraCluster,
    controlPlaneTemplate,
    workerTemplate,
    bootstrapTemplate,
  };
}
