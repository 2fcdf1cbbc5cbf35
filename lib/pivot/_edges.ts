/**
 * Folder-internal: turns a flat object list into graph nodes with hard (ownerReferences)
 * and soft (naming conventions, labels, references) owner edges. Pure.
 */
import type { KubeObject } from "../kube/types.ts";
import { ADDONS_GROUP, CAPI_GROUP, CLUSTER_NAME_LABEL, describeObject, groupOf } from "./types.ts";

/** A node of the graph while it is being built. */
export interface GraphNode {
  object: KubeObject;
  uid: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  /** UIDs of owners found in the input (hard and soft). */
  owners: Set<string>;
  /** Owner UIDs reached through ownerReferences only. */
  hardOwners: Set<string>;
  /** Owners referenced but absent from the input, as `Kind ns/name`. */
  missingOwners: string[];
  /** UIDs of dependents (hard and soft). */
  dependents: Set<string>;
}

function keyOf(group: string, kind: string, namespace: string, name: string): string {
  return `${group}/${kind}/${namespace}/${name}`;
}

/** True for the Cluster API `Cluster` kind. */
export function isCluster(n: { group: string; kind: string }): boolean {
  return n.group === CAPI_GROUP && n.kind === "Cluster";
}

/** True for the Cluster API `ClusterClass` kind. */
export function isClusterClass(n: { group: string; kind: string }): boolean {
  return n.group === CAPI_GROUP && n.kind === "ClusterClass";
}

/** The ClusterClass a Cluster's managed topology uses (v1beta2 classRef or v1beta1 class). */
export function clusterClassOf(cluster: KubeObject): { name: string; namespace: string } | null {
  const spec = cluster.spec as Record<string, unknown> | undefined;
  const topology = spec?.topology as Record<string, unknown> | undefined;
  if (!topology) return null;
  const ref = topology.classRef as { name?: string; namespace?: string } | undefined;
  const name = ref?.name ?? (topology.class as string | undefined);
  if (!name) return null;
  const namespace = ref?.namespace ?? (topology.classNamespace as string | undefined) ??
    cluster.metadata?.namespace ?? "";
  return { name, namespace };
}

/** Options for {@linkcode buildEdges}. */
export interface BuildEdgesOptions {
  /** Owner references to these API groups are dropped from the copy, not followed. */
  ignoreOwnerGroups: readonly string[];
}

/** Builds nodes and edges; throws on objects without uid/name or duplicate UIDs. */
export function buildEdges(
  objects: readonly KubeObject[],
  options: BuildEdgesOptions,
): Map<string, GraphNode> {
  const byUid = new Map<string, GraphNode>();
  const byKey = new Map<string, GraphNode>();
  for (const object of objects) {
    const uid = object.metadata?.uid;
    const name = object.metadata?.name;
    if (!uid || !name || !object.kind || !object.apiVersion) {
      throw new Error(`Cannot build the move graph: ${describeObject(object)} lacks uid or name`);
    }
    if (byUid.has(uid)) {
      throw new Error(`Cannot build the move graph: UID ${uid} appears twice`);
    }
    const node: GraphNode = {
      object,
      uid,
      group: groupOf(object.apiVersion),
      kind: object.kind,
      namespace: object.metadata?.namespace ?? "",
      name,
      owners: new Set(),
      hardOwners: new Set(),
      missingOwners: [],
      dependents: new Set(),
    };
    byUid.set(uid, node);
    byKey.set(keyOf(node.group, node.kind, node.namespace, name), node);
  }
  const link = (dependent: GraphNode, owner: GraphNode, hard: boolean) => {
    if (owner === dependent) return;
    dependent.owners.add(owner.uid);
    if (hard) dependent.hardOwners.add(owner.uid);
    owner.dependents.add(dependent.uid);
  };

  for (const node of byUid.values()) {
    for (const ref of node.object.metadata?.ownerReferences ?? []) {
      const group = groupOf(ref.apiVersion);
      if (options.ignoreOwnerGroups.includes(group)) continue;
      // Namespaced objects can only be owned by objects of their namespace (or global ones).
      const owner = byUid.get(ref.uid) ??
        byKey.get(keyOf(group, ref.kind, node.namespace, ref.name));
      if (owner) link(node, owner, true);
      else node.missingOwners.push(`${ref.kind} ${node.namespace}/${ref.name}`);
    }
  }

  const clusters = [...byUid.values()].filter(isCluster);
  const clusterIn = (namespace: string, name: string) =>
    clusters.find((c) => c.namespace === namespace && c.name === name);
  for (const node of byUid.values()) {
    const unowned = (node.object.metadata?.ownerReferences ?? []).length === 0;
    const labelled = node.object.metadata?.labels?.[CLUSTER_NAME_LABEL];
    if (isCluster(node)) {
      const cc = clusterClassOf(node.object);
      if (!cc) continue;
      const owner = byKey.get(keyOf(CAPI_GROUP, "ClusterClass", cc.namespace, cc.name));
      if (owner) link(node, owner, false);
      else node.missingOwners.push(`ClusterClass ${cc.namespace}/${cc.name}`);
      continue;
    }
    if (node.group === ADDONS_GROUP && node.kind === "ClusterResourceSetBinding") {
      const spec = node.object.spec as { clusterName?: string } | undefined;
      const owner = spec?.clusterName ? clusterIn(node.namespace, spec.clusterName) : undefined;
      if (owner) link(node, owner, false);
      continue;
    }
    if (!unowned) continue;
    // An unowned object belongs to the Cluster its label names, or (Secrets and ConfigMaps,
    // like <cluster>-kubeconfig) to the Cluster whose name prefixes its own — the longest
    // such name, so "a-b-ca" goes to Cluster "a-b" rather than "a".
    let owner = labelled ? clusterIn(node.namespace, labelled) : undefined;
    if (!owner && node.group === "" && (node.kind === "Secret" || node.kind === "ConfigMap")) {
      owner = clusters
        .filter((c) => c.namespace === node.namespace && node.name.startsWith(`${c.name}-`))
        .sort((a, b) => b.name.length - a.name.length)[0];
    }
    if (owner) link(node, owner, false);
  }
  return byUid;
}
