/**
 * What `clusterctl init` leaves behind that Lattice relies on, for planes whose Cluster API
 * CRDs were installed from the upstream base files: the `cluster.x-k8s.io/provider` label
 * on every provider CRD (the pivot discovers what to move by it).
 */
import type { KubeObject } from "../kube/mod.ts";
import { KubeClient } from "../kube/mod.ts";

/** The provider label clusterctl puts on CRDs. */
export const PROVIDER_LABEL = "cluster.x-k8s.io/provider";

/** The clusterctl provider name owning a CRD group, or undefined for non-CAPI groups. */
export function providerOfGroup(group: string): string | undefined {
  if (!group.endsWith("cluster.x-k8s.io")) return undefined;
  const prefix = group.slice(0, -"cluster.x-k8s.io".length).replace(/\.$/, "");
  if (prefix === "bootstrap") return "bootstrap-kubeadm";
  if (prefix === "controlplane") return "control-plane-kubeadm";
  if (prefix === "infrastructure") return "infrastructure-docker";
  return "cluster-api";
}

/** Labels every Cluster API CRD on the plane with its provider, as clusterctl init does. */
export async function labelProviderCrds(kubeconfig: string): Promise<number> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const ref = await client.resourceFor("apiextensions.k8s.io/v1", "CustomResourceDefinition");
    const crds = await client.list<KubeObject>(ref);
    let labelled = 0;
    for (const crd of crds.items) {
      const group = (crd.spec as { group?: string }).group ?? "";
      const provider = providerOfGroup(group);
      if (!provider || crd.metadata?.labels?.[PROVIDER_LABEL] === provider) continue;
      await client.patch(ref, crd.metadata?.name ?? "", {
        metadata: { labels: { [PROVIDER_LABEL]: provider } },
      });
      labelled++;
    }
    return labelled;
  } finally {
    client.close();
  }
}
