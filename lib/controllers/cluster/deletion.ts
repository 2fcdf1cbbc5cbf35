/**
 * Deleting a child: revoke its agent certificates (it loses its stream, the proxy route and
 * renewals at once, for ever), delete its CAPI Cluster (CAPI tears the machines and infrastructure
 * down), wait for it to go, delete whatever generated objects remain and the namespace,
 * release the token, then drop the finalizer.
 *
 * A pivoted cluster has no CAPI objects here: they are first moved back from the child
 * (unpivot.ts), then deleted like any other; the child's agent is revoked at the end.
 */
import { revokeClusterCertificates } from "../../cell/revocation.ts";
import { capiNamespace, CLUSTER, clusterSelector, generateCapiObjects } from "../../capi/mod.ts";
import { type KubeObject, removeFinalizer } from "../../kube/mod.ts";
import type { Action } from "../../runtime/mod.ts";
import {
  CLUSTER_FINALIZER,
  type Deps,
  getOptional,
  LATTICE_CLUSTER_REF,
  servedResource,
} from "./deps.ts";
import { type ClusterScope, CONDITIONS, markCondition, setPhase } from "./scope.ts";
import { unpivotStep } from "./unpivot.ts";

/** Outcome of a deletion step: requeue, or `released` when the finalizer is gone. */
export interface DeletionResult {
  action: Action;
  /** True once the finalizer was removed (the object may already be gone). */
  released: boolean;
}

async function deleteLeftovers(scope: ClusterScope, deps: Deps): Promise<void> {
  const { cluster } = scope;
  const namespace = capiNamespace(cluster.metadata.name);
  // The kinds this spec generates; the token name does not matter for kinds.
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  const generated = generateCapiObjects(cluster, {
    cellUrl: "https://unused",
    caBundlePem: "",
    tokenSecretName: "unused",
  });
  for (const o of generated.objects) {
    if (o.kind !== "Namespace") kinds.set(`${o.apiVersion}/${o.kind}`, o);
  }
  for (const { apiVersion, kind } of kinds.values()) {
    // A kind the cell does not serve cannot have objects here.
    const ref = await servedResource(deps, apiVersion, kind);
    if (!ref) continue;
    const list = await deps.client.list<KubeObject>(ref, {
      namespace,
      labelSelector: clusterSelector(cluster.metadata.name),
    });
    for (const item of list.items) {
      await deps.client.delete(ref, item.metadata?.name ?? "", namespace, { ignoreNotFound: true });
    }
  }
  const nsRef = await deps.client.resourceFor("v1", "Namespace");
  await deps.client.delete(nsRef, namespace, undefined, { ignoreNotFound: true });
}

/** One step of deleting a child. */
export async function deleteChild(scope: ClusterScope, deps: Deps): Promise<DeletionResult> {
  const { cluster } = scope;
  const name = cluster.metadata.name;
  setPhase(scope, "Deleting", "deleting the CAPI cluster");
  markCondition(scope, CONDITIONS.ready, "False", "Deleting", "The cluster is being deleted");
  const unpivot = await unpivotStep(scope, deps);
  if (unpivot.next === "released") return { action: {}, released: true };
  if (unpivot.next === "wait") return { action: unpivot.action, released: false };
  // After the unpivot (it needs the agent's stream) and before the infrastructure goes: a
  // deleted cluster's agent can never connect, renew or be proxied to again.
  const deleting = cluster.metadata.deletionTimestamp;
  await revokeClusterCertificates(deps.client, name, {
    unlessRevokedSince: deleting ? new Date(deleting) : undefined,
  });
  const capiCluster = await getOptional(
    deps,
    CLUSTER.apiVersion,
    CLUSTER.kind,
    name,
    capiNamespace(name),
  );
  if (capiCluster) {
    if (!capiCluster.metadata?.deletionTimestamp) {
      deps.log.info("Deleting CAPI cluster", { namespace: capiNamespace(name) });
      const ref = await deps.client.resourceFor(CLUSTER.apiVersion, CLUSTER.kind);
      await deps.client.delete(ref, name, capiNamespace(name), { ignoreNotFound: true });
    }
    return { action: { requeueAfterMs: deps.shortPollMs }, released: false };
  }
  deps.log.info("CAPI cluster gone: removing leftovers and releasing");
  await deleteLeftovers(scope, deps);
  await deps.tokens?.release(name);
  await removeFinalizer(deps.client, LATTICE_CLUSTER_REF, cluster, CLUSTER_FINALIZER);
  return { action: {}, released: true };
}
