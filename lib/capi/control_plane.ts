/**
 * What every control-plane flavour (kubeadm, RKE2) puts on its machines besides its own
 * configuration: the provider's files and pre-commands, the join files, and the extra SANs.
 */
import { hashedName } from "./hash.ts";
import { joinFiles } from "./join.ts";
import type { TypeRef } from "./kinds.ts";
import { machineDeploymentName } from "./labels.ts";
import type {
  BootstrapFile,
  BootstrapInfo,
  ContractRef,
  GenerationContext,
  InfraProvider,
  KubeObject,
} from "./types.ts";

/** Inputs of a control plane: its machine template and the cell's bootstrap information. */
export interface ControlPlaneOptions {
  /** The control-plane machine template. */
  machineTemplate: ContractRef;
  /** The cell's bootstrap information. */
  bootstrap: BootstrapInfo;
}

/** The flavour-independent part of a control plane's bootstrap. */
export interface ControlPlaneBootstrap {
  /** Provider files, machine files, then the join files (CA and token). */
  files: BootstrapFile[];
  /** The provider's commands to run before kubeadm/RKE2. */
  preCommands: string[];
  /** Extra API server certificate SANs, when the spec has any. */
  certSANs?: string[];
}

/** Computes the files, pre-commands and SANs a control plane of `flavour` needs. */
export function controlPlaneBootstrap(
  ctx: GenerationContext,
  provider: InfraProvider,
  options: ControlPlaneOptions & { flavour: "kubeadm" | "rke2" },
): ControlPlaneBootstrap {
  const sans = ctx.cluster.spec.provider.kubernetes.certSANs;
  return {
    files: [
      ...(provider.controlPlaneFiles?.(ctx, options.flavour) ?? []),
      ...(provider.machineFiles?.(ctx, options.machineTemplate.name, "control-plane") ?? []),
      ...joinFiles(options.bootstrap),
    ],
    preCommands: provider.controlPlanePreCommands?.(ctx, options.flavour) ?? [],
    ...(sans && sans.length > 0 ? { certSANs: [...sans] } : {}),
  };
}

/**
 * The workers' bootstrap config template (`kinds`: KubeadmConfigTemplate or
 * RKE2ConfigTemplate), named by content hash: CAPI does not roll machines when a template
 * changes in place, so a change must be a new template.
 */
export function workerConfigTemplate(
  kinds: TypeRef,
  ctx: GenerationContext,
  template: { spec: Record<string, unknown> },
): KubeObject {
  return {
    ...kinds,
    metadata: {
      name: hashedName(machineDeploymentName(ctx.name), template),
      namespace: ctx.namespace,
      labels: ctx.labels,
    },
    spec: { template },
  };
}
