/**
 * Pausing and unpausing Cluster API reconciliation around a pivot, on either side.
 * A Cluster is paused by spec.paused, a ClusterClass by the cluster.x-k8s.io/paused
 * annotation; both get the lattice.dev/pivot-paused label so only what the pivot paused is
 * unpaused later, found by label selector even after a crash.
 */
import { defined } from "./_defined.ts";
import { isNotFound } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";
import { clusterClassOf } from "./_edges.ts";
import { capiRef, listAll, type PivotClient } from "./_client.ts";
import { PAUSED_ANNOTATION, PIVOT_PAUSED_LABEL } from "./types.ts";

/** What {@linkcode pauseCluster} did. */
export interface PauseResult {
  /** `Kind name` of the objects paused by this pivot (now or by an earlier call). */
  paused: string[];
  /** `Kind name` of objects already paused by someone else: left alone, never unpaused. */
  pausedByOthers: string[];
}

/**
 * Pauses a Cluster and the ClusterClass it uses, labelling both with the pivot id.
 * Idempotent. A Cluster or class that was already paused without our label was paused by
 * a person or another tool: it is left as it is, and stays paused after the pivot.
 */
export async function pauseCluster(
  client: PivotClient,
  cluster: { name: string; namespace: string },
  pivotId: string,
): Promise<PauseResult> {
  const result: PauseResult = { paused: [], pausedByOthers: [] };
  const clusterRef = await capiRef(client, "clusters");
  const obj = await client.get<KubeObject>(clusterRef, cluster.name, cluster.namespace);
  const labels = obj.metadata?.labels ?? {};
  const paused = (obj.spec as { paused?: boolean } | undefined)?.paused === true;
  if (paused && labels[PIVOT_PAUSED_LABEL] === undefined) {
    result.pausedByOthers.push(`Cluster ${cluster.name}`);
  } else {
    if (!paused || labels[PIVOT_PAUSED_LABEL] !== pivotId) {
      await client.patch(clusterRef, cluster.name, {
        metadata: { labels: { [PIVOT_PAUSED_LABEL]: pivotId } },
        spec: { paused: true },
      }, { namespace: cluster.namespace });
    }
    result.paused.push(`Cluster ${cluster.name}`);
  }

  const cc = clusterClassOf(obj);
  if (!cc) return result;
  const ccRef = await capiRef(client, "clusterclasses");
  let klass: KubeObject;
  try {
    klass = await client.get<KubeObject>(ccRef, cc.name, cc.namespace);
  } catch (error) {
    if (isNotFound(error)) return result;
    throw error;
  }
  const ccLabels = klass.metadata?.labels ?? {};
  const ccPaused = klass.metadata?.annotations?.[PAUSED_ANNOTATION] !== undefined;
  if (ccPaused && ccLabels[PIVOT_PAUSED_LABEL] === undefined) {
    result.pausedByOthers.push(`ClusterClass ${cc.name}`);
    return result;
  }
  if (!ccPaused || ccLabels[PIVOT_PAUSED_LABEL] !== pivotId) {
    await client.patch(ccRef, cc.name, {
      metadata: {
        labels: { [PIVOT_PAUSED_LABEL]: pivotId },
        annotations: { [PAUSED_ANNOTATION]: "" },
      },
    }, { namespace: cc.namespace });
  }
  result.paused.push(`ClusterClass ${cc.name}`);
  return result;
}

/** Options for {@linkcode unpausePivoted}. */
export interface UnpauseOptions {
  /** Only objects paused by this pivot; any pivot when absent. */
  pivotId?: string;
}

/**
 * Unpauses every Cluster and ClusterClass in `namespace` that a pivot paused, removing
 * spec.paused / the paused annotation and the label. Idempotent; returns how many it changed.
 */
export async function unpausePivoted(
  client: PivotClient,
  namespace: string,
  options: UnpauseOptions = {},
): Promise<number> {
  const labelSelector = options.pivotId
    ? `${PIVOT_PAUSED_LABEL}=${options.pivotId}`
    : PIVOT_PAUSED_LABEL;
  let count = 0;
  const clusterRef = await capiRef(client, "clusters");
  for (const c of await listAll(client, clusterRef, { namespace, labelSelector })) {
    await client.patch(clusterRef, defined(c.metadata?.name, "a Cluster's name"), {
      metadata: { labels: { [PIVOT_PAUSED_LABEL]: null } },
      spec: { paused: null },
    }, { namespace });
    count++;
  }
  const ccRef = await capiRef(client, "clusterclasses");
  for (const c of await listAll(client, ccRef, { namespace, labelSelector })) {
    await client.patch(ccRef, defined(c.metadata?.name, "a ClusterClass's name"), {
      metadata: {
        labels: { [PIVOT_PAUSED_LABEL]: null },
        annotations: { [PAUSED_ANNOTATION]: null },
      },
    }, { namespace });
    count++;
  }
  return count;
}
