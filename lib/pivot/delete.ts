/**
 * Deleting a moved graph from one side without running its finalizers, as clusterctl's
 * deleteSourceObject does: the finalizers would delete the real machines the other side
 * now manages.
 */
import { isNotFound } from "../kube/errors.ts";
import { byLevel, type PivotClient, pool } from "./_client.ts";
import type { MoveGraph, MoveNode } from "./graph.ts";
import { DELETE_FOR_MOVE_ANNOTATION } from "./types.ts";

/** Options for {@linkcode deleteGraph}. */
export interface DeleteGraphOptions {
  /** Deletions in flight at once within one level; default 32. */
  concurrency?: number;
  /** Also delete nodes marked keepOnSource; default false. */
  includeKept?: boolean;
  /** Called before each deletion, for logs. */
  onDelete?: (node: MoveNode) => void | Promise<void>;
}

/** Removes finalizers from one object, marks it delete-for-move, deletes it. */
export async function deleteWithoutFinalizers(
  client: PivotClient,
  node: MoveNode,
): Promise<boolean> {
  const { apiVersion, kind, name, namespace } = node.identity;
  const ref = await client.resourceFor(apiVersion, kind);
  // An object without finalizers is gone the instant it is deleted: no controller ever
  // reconciles its deletion, so the delete-for-move mark has no reader and one DELETE
  // suffices (most of a cluster's objects; halves their requests). Clusters and
  // ClusterClasses keep the mark, for the validating webhooks that read it on DELETE.
  const guarded = kind === "Cluster" || kind === "ClusterClass";
  const plain = !guarded && !(node.object.metadata?.finalizers?.length);
  if (plain) {
    await client.delete(ref, name, namespace, { ignoreNotFound: true });
    return true;
  }
  try {
    await client.patch(ref, name, {
      metadata: { annotations: { [DELETE_FOR_MOVE_ANNOTATION]: "" }, finalizers: [] },
    }, { namespace });
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  await client.delete(ref, name, namespace, { ignoreNotFound: true });
  return true;
}

/**
 * Deletes the graph's objects in reverse order (dependents before owners, the Cluster last)
 * so that at every instant what remains is still a graph rooted at the Cluster: a crash
 * mid-way leaves something discovery can find and finish. Returns how many it deleted.
 */
export async function deleteGraph(
  client: PivotClient,
  graph: MoveGraph,
  options: DeleteGraphOptions = {},
): Promise<number> {
  const doomed = graph.nodes.filter((n) =>
    n !== graph.cluster && (options.includeKept || !n.keepOnSource)
  );
  let deleted = 0;
  const one = async (node: MoveNode) => {
    await options.onDelete?.(node);
    if (await deleteWithoutFinalizers(client, node)) deleted++;
  };
  for (const level of byLevel(doomed, (n) => n.level).reverse()) {
    await pool(level, options.concurrency ?? 32, one);
  }
  if (options.includeKept || !graph.cluster.keepOnSource) await one(graph.cluster);
  return deleted;
}
