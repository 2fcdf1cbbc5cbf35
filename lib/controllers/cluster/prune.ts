/**
 * Removing superseded templates. Machine and bootstrap templates are immutable and named
 * by content hash, so every change leaves the previous one behind; it is deleted once no
 * MachineSet refers to it any more (a rollout in progress, or a MachineSet kept for
 * history, still needs its template to scale).
 */
import {
  CAPI_GROUP,
  capiNamespace,
  clusterSelector,
  type KubeObject as CapiObject,
} from "../../capi/mod.ts";
import type { KubeObject } from "../../kube/mod.ts";
import { type Deps, servedResource } from "./deps.ts";
import type { ClusterObject } from "./types.ts";

type Json = Record<string, unknown>;
const at = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Json | undefined)?.[k], o);

/**
 * Deletes templates of the kinds of `current` that carry this cluster's labels, are not
 * in `current`, and no MachineSet references. Answers the names deleted.
 */
export async function pruneTemplates(
  cluster: ClusterObject,
  current: CapiObject[],
  deps: Deps,
): Promise<string[]> {
  const namespace = capiNamespace(cluster.metadata.name);
  const selector = clusterSelector(cluster.metadata.name);
  const keep = new Set(current.map((o) => `${o.kind}/${o.metadata.name}`));
  const msRef = await servedResource(deps, `${CAPI_GROUP}/v1beta2`, "MachineSet");
  if (msRef) {
    const sets = await deps.client.list<KubeObject>(msRef, { namespace });
    for (const ms of sets.items) {
      for (
        const ref of [
          at(ms, "spec", "template", "spec", "infrastructureRef"),
          at(ms, "spec", "template", "spec", "bootstrap", "configRef"),
        ]
      ) {
        const r = ref as { kind?: string; name?: string } | undefined;
        if (r?.kind && r.name) keep.add(`${r.kind}/${r.name}`);
      }
    }
  }
  const deleted: string[] = [];
  const kinds = new Map(current.map((o) => [`${o.apiVersion}/${o.kind}`, o]));
  for (const { apiVersion, kind } of kinds.values()) {
    const ref = await servedResource(deps, apiVersion, kind);
    if (!ref) continue;
    const list = await deps.client.list<KubeObject>(ref, { namespace, labelSelector: selector });
    for (const item of list.items) {
      const name = item.metadata?.name ?? "";
      if (keep.has(`${kind}/${name}`)) continue;
      deps.log.info("Deleting superseded template", { kind, name });
      await deps.client.delete(ref, name, namespace, { ignoreNotFound: true });
      deleted.push(`${kind}/${name}`);
    }
  }
  return deleted;
}
