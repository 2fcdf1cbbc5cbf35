/**
 * kubeadm bootstrap: KubeadmControlPlane and the workers' KubeadmConfigTemplate
 * (cluster-api v1beta2 shapes: extra args are `{name, value}` lists).
 */
import { joinCommands } from "./join.ts";
import {
  controlPlaneBootstrap,
  type ControlPlaneOptions,
  workerConfigTemplate,
} from "./control_plane.ts";
import { KUBEADM_CONFIG_TEMPLATE, KUBEADM_CONTROL_PLANE } from "./kinds.ts";
import { controlPlaneName } from "./labels.ts";
import type { GenerationContext, InfraProvider, KubeObject } from "./types.ts";

/** `{k: v}` → `[{name: k, value: v}]`, sorted; undefined when empty (the CRD wants ≥ 1). */
export function namedArgs(
  args: Record<string, string>,
): { name: string; value: string }[] | undefined {
  const list = Object.entries(args).sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  return list.length > 0 ? list : undefined;
}

/**
 * Drops empty objects, recursively: the v1beta2 kubeadm schemas put `minProperties: 1` on
 * most nested structs, so `apiServer: {}` is rejected where omitting it is fine.
 */
export function pruneEmpty<T>(value: T): T {
  if (Array.isArray(value)) return value.map(pruneEmpty) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    const pruned = pruneEmpty(v);
    const empty = pruned !== null && typeof pruned === "object" && !Array.isArray(pruned) &&
      Object.keys(pruned).length === 0;
    if (!empty) out[k] = pruned;
  }
  return out as T;
}

function nodeRegistration(args: Record<string, string>): Record<string, unknown> {
  const kubeletExtraArgs = namedArgs(args);
  return kubeletExtraArgs ? { kubeletExtraArgs } : {};
}

/** Inputs of {@linkcode kubeadmControlPlane}. */
export type KubeadmControlPlaneOptions = ControlPlaneOptions;

/** The KubeadmControlPlane of a cluster. */
export function kubeadmControlPlane(
  ctx: GenerationContext,
  provider: InfraProvider,
  options: KubeadmControlPlaneOptions,
): KubeObject {
  const spec = ctx.cluster.spec;
  const args = provider.kubeletArgs(ctx, "control-plane");
  const apiServer: Record<string, unknown> = {};
  const { files, preCommands, certSANs } = controlPlaneBootstrap(ctx, provider, {
    ...options,
    flavour: "kubeadm",
  });
  if (certSANs) apiServer.certSANs = certSANs;
  return {
    ...KUBEADM_CONTROL_PLANE,
    metadata: { name: controlPlaneName(ctx.name), namespace: ctx.namespace, labels: ctx.labels },
    spec: {
      replicas: spec.nodes.controlPlane,
      version: `v${ctx.version}`,
      machineTemplate: { spec: { infrastructureRef: options.machineTemplate } },
      kubeadmConfigSpec: pruneEmpty({
        clusterConfiguration: { apiServer },
        initConfiguration: { nodeRegistration: nodeRegistration(args) },
        joinConfiguration: { nodeRegistration: nodeRegistration(args) },
        files,
        ...(preCommands.length > 0 ? { preKubeadmCommands: preCommands } : {}),
        postKubeadmCommands: joinCommands(ctx.name, options.bootstrap),
      }),
    },
  };
}

/** The workers' KubeadmConfigTemplate (see {@linkcode workerConfigTemplate}). */
export function kubeadmConfigTemplate(
  ctx: GenerationContext,
  provider: InfraProvider,
  workerTemplateName: string,
): KubeObject {
  const files = provider.machineFiles?.(ctx, workerTemplateName, "worker") ?? [];
  const template = {
    spec: pruneEmpty({
      joinConfiguration: {
        nodeRegistration: nodeRegistration(provider.kubeletArgs(ctx, "worker")),
      },
      ...(files.length > 0 ? { files } : {}),
    }),
  };
  return workerConfigTemplate(KUBEADM_CONFIG_TEMPLATE, ctx, template);
}
