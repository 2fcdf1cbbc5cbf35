/**
 * RKE2 bootstrap (CAPRKE2 v1beta2): RKE2ControlPlane and the workers' RKE2ConfigTemplate.
 */
import { joinCommands } from "./join.ts";
import {
  controlPlaneBootstrap,
  type ControlPlaneOptions,
  workerConfigTemplate,
} from "./control_plane.ts";
import { RKE2_CONFIG_TEMPLATE, RKE2_CONTROL_PLANE } from "./kinds.ts";
import { controlPlaneName } from "./labels.ts";
import type { GenerationContext, InfraProvider, KubeObject } from "./types.ts";

/** RKE2 release suffix appended to the Kubernetes version (`v1.31.0+rke2r1`). */
export const RKE2_RELEASE = "rke2r1";

/** The RKE2 version string CAPRKE2 requires for a Kubernetes version. */
export function rke2Version(version: string): string {
  return `v${version.replace(/^v/, "")}+${RKE2_RELEASE}`;
}

function kubeletConfig(args: Record<string, string>): Record<string, unknown> {
  const list = Object.entries(args).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  return list.length > 0 ? { kubelet: { extraArgs: list } } : {};
}

/** Inputs of {@linkcode rke2ControlPlane}. */
export type Rke2ControlPlaneOptions = ControlPlaneOptions;

/**
 * The RKE2ControlPlane of a cluster. The CNI is `none` because Lattice installs Cilium
 * itself (the same way on kubeadm and RKE2), with its LB-IPAM pool from spec.networking.
 */
export function rke2ControlPlane(
  ctx: GenerationContext,
  provider: InfraProvider,
  options: Rke2ControlPlaneOptions,
): KubeObject {
  const spec = ctx.cluster.spec;
  const serverConfig: Record<string, unknown> = { cni: "none" };
  const { files, preCommands, certSANs } = controlPlaneBootstrap(ctx, provider, {
    ...options,
    flavour: "rke2",
  });
  if (certSANs) serverConfig.tlsSan = certSANs;
  return {
    ...RKE2_CONTROL_PLANE,
    metadata: { name: controlPlaneName(ctx.name), namespace: ctx.namespace, labels: ctx.labels },
    spec: {
      replicas: spec.nodes.controlPlane,
      version: rke2Version(ctx.version),
      rolloutStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1 } },
      machineTemplate: { spec: { infrastructureRef: options.machineTemplate } },
      serverConfig,
      agentConfig: kubeletConfig(provider.kubeletArgs(ctx, "control-plane")),
      files,
      ...(preCommands.length > 0 ? { preRKE2Commands: preCommands } : {}),
      postRKE2Commands: joinCommands(ctx.name, options.bootstrap, "rke2"),
    },
  };
}

/** The workers' RKE2ConfigTemplate, named by content hash. */
export function rke2ConfigTemplate(
  ctx: GenerationContext,
  provider: InfraProvider,
  workerTemplateName: string,
): KubeObject {
  const files = provider.machineFiles?.(ctx, workerTemplateName, "worker") ?? [];
  const template = {
    spec: {
      agentConfig: kubeletConfig(provider.kubeletArgs(ctx, "worker")),
      ...(files.length > 0 ? { files } : {}),
    },
  };
  return workerConfigTemplate(RKE2_CONFIG_TEMPLATE, ctx, template);
}
