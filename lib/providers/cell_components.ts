/**
 * The cell's side of air-gapped Cluster API (components.ts): the component ConfigMaps it
 * keeps in lattice-system, narrowed to what one child needs (core, its bootstrap and
 * control-plane provider, its infrastructure provider, cert-manager), as objects for the
 * child's join bundle.
 */
import type { LatticeClusterSpec } from "../api/mod.ts";
import { NAMESPACE } from "../bundle/names.ts";
import { requiredProviders } from "../install/clusterctl.ts";
import type { KubeClient } from "../kube/client.ts";
import { CONFIGMAP_REF } from "../kube/refs.ts";
import type { KubeObject } from "../kube/types.ts";
import { COMPONENTS_LABEL } from "./components.ts";

const TYPES: Record<string, string> = {
  CoreProvider: "core",
  BootstrapProvider: "bootstrap",
  ControlPlaneProvider: "control-plane",
  InfrastructureProvider: "infrastructure",
};

/** The label values (`<type>.<name>`) a cluster of `spec` needs. */
export function neededComponentLabels(spec: LatticeClusterSpec): string[] {
  return [
    ...requiredProviders(spec).map((p) => `${TYPES[p.type]}.${p.name}`),
    "cert-manager.cert-manager",
  ];
}

/** The cell's component ConfigMaps a child of `spec` needs, without server-set metadata. */
export async function readCellComponents(
  client: Pick<KubeClient, "list">,
  spec: LatticeClusterSpec,
): Promise<KubeObject[]> {
  const needed = neededComponentLabels(spec);
  const list = await client.list<KubeObject & { data?: Record<string, string> }>(CONFIGMAP_REF, {
    namespace: NAMESPACE,
    labelSelector: `${COMPONENTS_LABEL} in (${needed.join(",")})`,
  });
  return list.items.map((cm) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: cm.metadata!.name!,
      namespace: NAMESPACE,
      labels: cm.metadata?.labels,
      annotations: cm.metadata?.annotations,
    },
    data: cm.data,
  } as KubeObject)).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}
