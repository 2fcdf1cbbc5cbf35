/**
 * Mapping owned objects to their owners' queue keys, from controller ownerReferences.
 */
import { type KubeObject, parseApiVersion, type ResourceRef } from "../kube/mod.ts";

/**
 * The keys of `owner`-kind objects that control `obj`. Owners of namespaced objects live in
 * the same namespace (Kubernetes forbids cross-namespace owners); cluster-scoped owners are
 * keyed by name alone.
 */
export function ownerKeysOf(obj: KubeObject, owner: ResourceRef): string[] {
  const keys: string[] = [];
  for (const ref of obj.metadata?.ownerReferences ?? []) {
    if (!ref.controller || ref.kind !== owner.kind) continue;
    if (parseApiVersion(ref.apiVersion).group !== owner.group) continue;
    const ns = obj.metadata?.namespace;
    keys.push(owner.namespaced && ns ? `${ns}/${ref.name}` : ref.name);
  }
  return keys;
}
