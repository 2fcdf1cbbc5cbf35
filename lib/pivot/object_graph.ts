/**
 * Discovery (the I/O half of the object graph): which types to move, from the CRDs
 * labelled cluster.x-k8s.io/provider at their storage version, and every object of those
 * types plus Secrets and ConfigMaps in the Cluster's namespace. The pure builder in
 * graph.ts then selects and orders them.
 */
import type { KubeObject, ResourceRef } from "../kube/types.ts";
import { clusterClassOf } from "./_edges.ts";
import {
  CRD_REF,
  type CrdObject,
  listAll,
  type PivotClient,
  pool,
  storageRefOf,
} from "./_client.ts";
import { buildMoveGraph, type MoveGraph, type MoveType } from "./graph.ts";
import { CAPI_GROUP, MOVE_HIERARCHY_LABEL, MOVE_LABEL, PROVIDER_LABEL } from "./types.ts";
import { CONFIGMAP_REF, SECRET_REF } from "../kube/refs.ts";

/** A type to list during discovery. */
export interface DiscoveredType extends MoveType {
  ref: ResourceRef;
}

/** Options for {@linkcode discoverMoveTypes}. */
export interface DiscoverTypesOptions {
  /** Label selector of the CRDs to move; default `cluster.x-k8s.io/provider`. */
  crdLabelSelector?: string;
}

/**
 * The namespaced types a pivot lists: every CRD matching the selector at its storage
 * version (with its move / move-hierarchy labels), plus Secrets and ConfigMaps.
 * Cluster-scoped CRDs are left out: a pivot moves one namespace's objects.
 */
export async function discoverMoveTypes(
  client: PivotClient,
  options: DiscoverTypesOptions = {},
): Promise<DiscoveredType[]> {
  const crds = await listAll(client, CRD_REF, {
    labelSelector: options.crdLabelSelector ?? PROVIDER_LABEL,
  }) as CrdObject[];
  const types: DiscoveredType[] = [];
  for (const crd of crds) {
    const ref = storageRefOf(crd);
    if (!ref.namespaced) continue;
    const labels = crd.metadata?.labels ?? {};
    types.push({
      ref,
      group: ref.group,
      kind: ref.kind,
      forceMove: MOVE_LABEL in labels,
      forceMoveHierarchy: MOVE_HIERARCHY_LABEL in labels,
    });
  }
  types.push({ ref: SECRET_REF, group: "", kind: "Secret" });
  types.push({ ref: CONFIGMAP_REF, group: "", kind: "ConfigMap" });
  return types.sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`));
}

/** Options for {@linkcode discoverMoveGraph}. */
export interface DiscoverGraphOptions extends DiscoverTypesOptions {
  /** Types from an earlier {@linkcode discoverMoveTypes}; discovered when absent. */
  types?: DiscoveredType[];
  /** See BuildMoveGraphOptions.allowMissingOwners. */
  allowMissingOwners?: boolean;
  /** Owner references into these groups are dropped; default `lattice.dev`. */
  ignoreOwnerGroups?: readonly string[];
  /** Lists in flight at once; default 8. */
  concurrency?: number;
}

/**
 * Lists everything in the Cluster's namespace and builds its ordered move graph.
 * Throws when the Cluster is missing, when it uses a ClusterClass of another namespace
 * (not supported: the class would have to be shared across a pivot), and PivotGraphError
 * when the graph cannot be ordered.
 */
export async function discoverMoveGraph(
  client: PivotClient,
  cluster: { name: string; namespace: string },
  options: DiscoverGraphOptions = {},
): Promise<MoveGraph> {
  const types = options.types ?? await discoverMoveTypes(client, options);
  const lists = new Map<string, KubeObject[]>();
  await pool(types, options.concurrency ?? 8, async (type) => {
    lists.set(
      `${type.group}/${type.kind}`,
      await listAll(client, type.ref, { namespace: cluster.namespace }),
    );
  });
  const objects = types.flatMap((t) => lists.get(`${t.group}/${t.kind}`) ?? []);
  const own = objects.find((o) =>
    o.kind === "Cluster" && o.apiVersion?.startsWith(`${CAPI_GROUP}/`) &&
    o.metadata?.name === cluster.name
  );
  const cc = own ? clusterClassOf(own) : null;
  if (cc && cc.namespace !== cluster.namespace) {
    throw new Error(
      `Cannot pivot Cluster ${cluster.namespace}/${cluster.name}: its ClusterClass ` +
        `${cc.namespace}/${cc.name} is in another namespace`,
    );
  }
  return buildMoveGraph(objects, {
    clusterName: cluster.name,
    namespace: cluster.namespace,
    types,
    allowMissingOwners: options.allowMissingOwners,
    ignoreOwnerGroups: options.ignoreOwnerGroups,
  });
}
