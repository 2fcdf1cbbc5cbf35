/**
 * The pivot's provider identities: the identity objects and credential Secrets a cluster's
 * infrastructure references (lib/providers/identities.ts), added to its move graph. They
 * live outside the graph's namespace selection (cluster-scoped identities, CAPA's Secrets in
 * capa-system, a clouds.yaml Secret with a name of the user's choosing), so without this
 * the child would own a cluster it has no credentials for.
 *
 * An identity that another infrastructure cluster on the source also references (directly
 * or through a chain) is copied, not moved: `keepOnSource` keeps it on the parent for as
 * long as any other cluster there uses it. A referenced object that does not exist stops
 * the pivot before anything is sent (PivotGraphError, so the source unpauses and says why).
 */
import type { KubeObject, ResourceRef } from "../kube/types.ts";
import { isNotFound } from "../kube/mod.ts";
import { SECRET_REF } from "../kube/refs.ts";
import {
  CRD_REF,
  type CrdObject,
  listAll,
  type PivotClient,
  storageRefOf,
} from "../pivot/_client.ts";
import { type MoveGraph, type MoveNode, PivotGraphError } from "../pivot/graph.ts";
import {
  describeRef,
  type IdentityRef,
  INFRA_CLUSTER_KINDS,
  INFRA_GROUP,
  refKey,
  resolveIdentities,
} from "./identities.ts";

/** Plural of every identity and infrastructure-cluster kind (their CRD names). */
const PLURALS: Record<string, string> = {
  AWSClusterStaticIdentity: "awsclusterstaticidentities",
  AWSClusterRoleIdentity: "awsclusterroleidentities",
  AWSClusterControllerIdentity: "awsclustercontrolleridentities",
  AzureClusterIdentity: "azureclusteridentities",
  OpenStackClusterIdentity: "openstackclusteridentities",
  AWSCluster: "awsclusters",
  AzureCluster: "azureclusters",
  OpenStackCluster: "openstackclusters",
  GCPCluster: "gcpclusters",
  ProxmoxCluster: "proxmoxclusters",
};

/** Resolves kinds to their served storage resource, once per kind (undefined: no CRD). */
export class IdentityResources {
  #client: PivotClient;
  #refs = new Map<string, Promise<ResourceRef | undefined>>();

  constructor(client: PivotClient) {
    this.#client = client;
  }

  /** The resource of `kind` (group `infrastructure.cluster.x-k8s.io`, or a Secret). */
  refOf(group: string, kind: string): Promise<ResourceRef | undefined> {
    if (group === "" && kind === "Secret") return Promise.resolve(SECRET_REF);
    const key = `${group}/${kind}`;
    let ref = this.#refs.get(key);
    if (!ref) {
      ref = (async () => {
        const plural = PLURALS[kind];
        if (!plural || group !== INFRA_GROUP) return undefined;
        try {
          const crd = await this.#client.get<CrdObject>(CRD_REF, `${plural}.${group}`);
          return storageRefOf(crd);
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      })();
      this.#refs.set(key, ref);
    }
    return ref;
  }

  /** The object `ref` names, or undefined when it (or its kind) does not exist. */
  async lookup(ref: IdentityRef): Promise<KubeObject | undefined> {
    const resource = await this.refOf(ref.group, ref.kind);
    if (!resource) return undefined;
    try {
      return await this.#client.get<KubeObject>(resource, ref.name, ref.namespace);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

/** The infrastructure cluster object of a move graph (the one its Cluster points at). */
export function infraClusterOf(graph: MoveGraph): KubeObject | undefined {
  const ref =
    (graph.cluster.object as { spec?: { infrastructureRef?: { kind?: string; name?: string } } })
      .spec?.infrastructureRef;
  return graph.nodes.find((n) =>
    n.identity.kind === ref?.kind && n.identity.name === ref?.name &&
    n.identity.apiVersion.startsWith(`${INFRA_GROUP}/`)
  )?.object;
}

/** What {@linkcode discoverIdentities} found for one cluster. */
export interface ClusterIdentities {
  /** The infrastructure cluster, when the graph has one that references identities. */
  infra?: KubeObject;
  /** Identity objects and Secrets, each with whether another cluster on the source uses it. */
  objects: { ref: IdentityRef; object: KubeObject; shared: boolean }[];
  /** References that name nothing. */
  missing: IdentityRef[];
}

/** Every other infrastructure cluster's identity references on the source (keys). */
async function othersUse(
  client: PivotClient,
  resources: IdentityResources,
  self: KubeObject,
): Promise<Set<string>> {
  const used = new Set<string>();
  for (const kind of INFRA_CLUSTER_KINDS) {
    const ref = await resources.refOf(INFRA_GROUP, kind);
    if (!ref) continue;
    for (const other of await listAll(client, ref, {})) {
      const same = other.metadata?.namespace === self.metadata?.namespace &&
        other.metadata?.name === self.metadata?.name && other.kind === self.kind;
      if (same) continue;
      const { objects } = await resolveIdentities(other, (r) => resources.lookup(r));
      for (const o of objects) used.add(refKey(o.ref));
    }
  }
  return used;
}

/** The identities the graph's infrastructure cluster references, and which are shared. */
export async function discoverIdentities(
  client: PivotClient,
  graph: MoveGraph,
): Promise<ClusterIdentities> {
  const infra = infraClusterOf(graph);
  if (!infra) return { objects: [], missing: [] };
  const resources = new IdentityResources(client);
  const { objects, missing } = await resolveIdentities(infra, (r) => resources.lookup(r));
  if (objects.length === 0) return { infra, objects: [], missing };
  const used = await othersUse(client, resources, infra);
  return {
    infra,
    objects: objects.map((o) => ({ ...o, shared: used.has(refKey(o.ref)) })),
    missing,
  };
}

/**
 * `graph` with the provider identities of its cluster added at level 0 (they own nothing
 * in the graph and nothing in it owns them): moved, or copied when shared. An object the
 * graph already holds (a Secret in the cluster's namespace) only gains `keepOnSource` when
 * shared. Throws PivotGraphError naming every missing reference (unless `allowMissing`).
 */
export async function withProviderIdentities(
  client: PivotClient,
  graph: MoveGraph,
  options: { allowMissing?: boolean } = {},
): Promise<MoveGraph> {
  const found = await discoverIdentities(client, graph);
  // While deleting the source after a crash, what is gone was already moved.
  if (found.missing.length > 0 && !options.allowMissing) {
    const from =
      `${found.infra?.kind} ${found.infra?.metadata?.namespace}/${found.infra?.metadata?.name}`;
    throw new PivotGraphError(
      found.missing.map((m) => `${from} → ${describeRef(m)} (missing on this cluster)`),
      [],
    );
  }
  if (found.objects.length === 0) return graph;
  const inGraph = new Map(graph.nodes.map((n) => [
    refKey({
      group: n.identity.apiVersion.includes("/") ? n.identity.apiVersion.split("/")[0] : "",
      kind: n.identity.kind,
      namespace: n.identity.namespace,
      name: n.identity.name,
    }),
    n,
  ]));
  const added: MoveNode[] = [];
  const nodes = graph.nodes.map((n) => ({ ...n }));
  const byUid = new Map(nodes.map((n) => [n.uid, n]));
  for (const { ref, object, shared } of found.objects) {
    const existing = inGraph.get(refKey(ref));
    if (existing) {
      if (shared) byUid.get(existing.uid)!.keepOnSource = true;
      continue;
    }
    added.push({
      object,
      identity: {
        apiVersion: object.apiVersion!,
        kind: object.kind!,
        ...(ref.namespace ? { namespace: ref.namespace } : {}),
        name: ref.name,
      },
      uid: object.metadata?.uid ?? refKey(ref),
      level: 0,
      keepOnSource: shared,
      blocking: false,
    });
  }
  const all = [...added, ...nodes];
  return {
    nodes: all,
    cluster: byUid.get(graph.cluster.uid)!,
    clusterClasses: graph.clusterClasses.map((c) => byUid.get(c.uid)!),
    blocking: graph.blocking.map((b) => byUid.get(b.uid)!),
  };
}
