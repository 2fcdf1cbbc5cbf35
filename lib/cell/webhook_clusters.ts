/** The webhook's view of the cell's LatticeClusters, read from the cell's apiserver. */
import { LatticeClusterSchema } from "../api/mod.ts";
import type { BundleCluster } from "../bundle/mod.ts";
import { getOrUndefined } from "../kube/errors.ts";
import type { KubeObject, ResourceRef } from "../kube/types.ts";
import type { ClusterLookup } from "./webhook.ts";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";

/** The client call the lookup makes (a subset of `KubeClient`). */
export interface ClusterGetter {
  get<T = KubeObject>(ref: ResourceRef, name: string, ns?: string): Promise<T>;
}

/**
 * A {@linkcode ClusterLookup} over the cell's API: the LatticeCluster by name, parsed (so
 * the child gets the defaulted spec), or undefined when absent or being deleted.
 */
export function clusterLookup(client: ClusterGetter): ClusterLookup {
  return async (name) => {
    const obj = await getOrUndefined(() => client.get<KubeObject>(LATTICE_CLUSTER_REF, name));
    if (!obj || obj.metadata?.deletionTimestamp) return undefined;
    const parsed = LatticeClusterSchema.safeParse({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      metadata: { name: obj.metadata?.name, labels: obj.metadata?.labels },
      spec: obj.spec,
    });
    if (!parsed.success) {
      throw new Error(`Cannot read LatticeCluster ${name}: its spec does not validate`, {
        cause: parsed.error,
      });
    }
    const labels = parsed.data.metadata.labels;
    return { name, ...(labels ? { labels } : {}), spec: parsed.data.spec } as BundleCluster;
  };
}
