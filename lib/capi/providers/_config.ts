/**
 * Typed access to the one provider config of a cluster (folder-internal).
 */
import type { ProviderConfig } from "../../api/mod.ts";
import type { GenerationContext } from "../types.ts";

/** The config of provider `name`; throws when the cluster uses another provider. */
export function configOf<K extends keyof ProviderConfig>(
  ctx: GenerationContext,
  name: K,
): NonNullable<ProviderConfig[K]> {
  const config = ctx.cluster.spec.provider.config[name];
  if (config === undefined) {
    throw new Error(`Cannot generate ${name} objects: cluster ${ctx.name} uses ${ctx.provider}`);
  }
  return config as NonNullable<ProviderConfig[K]>;
}

/** Kubelet arguments of every cloud provider whose cloud controller runs out of tree. */
export const EXTERNAL_CLOUD_PROVIDER: Record<string, string> = { "cloud-provider": "external" };
