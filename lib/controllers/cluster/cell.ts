/**
 * Cell mode: provisioning a child. Pending → Provisioning (CAPI objects applied, token
 * issued) → control plane ready → Pivoting (hand-off) → Ready. Once pivoted, the cell
 * holds no CAPI state for the child: its copy is the desired spec, delivered over the
 * stream, and shows the child's own status (pivoted.ts).
 */
import { providerOf } from "../../api/mod.ts";
import type { Action } from "../../runtime/mod.ts";
import { type BootstrapInfo, capiNamespace, CLUSTER, generateCapiObjects } from "../../capi/mod.ts";
import { isInvalid, type KubeObject } from "../../kube/mod.ts";
import { controlPlaneReady, controlPlaneVersion, nodeCounts } from "./capi_status.ts";
import { pruneTemplates } from "./prune.ts";
import { reconcilePivoted } from "./pivoted.ts";
import { CELL_FIELD_MANAGER, type Deps, getOptional, servedResource } from "./deps.ts";
import {
  type ClusterScope,
  CONDITIONS,
  isTrue,
  markCondition,
  setNodes,
  setPhase,
} from "./scope.ts";

/** The phase's outcome: what to requeue. */
export type PhaseResult = Action;

function appliedThisGeneration(scope: ClusterScope): boolean {
  const c = scope.status.conditions?.find((x) => x.type === CONDITIONS.capiObjectsApplied);
  return c?.status === "True" && c.observedGeneration === scope.cluster.metadata.generation;
}

/**
 * Applies the namespace, mints the token, applies every CAPI object; answers the applied
 * CAPI Cluster (its status is what the next step reads), or undefined if rejected.
 */
async function applyCapiObjects(scope: ClusterScope, deps: Deps): Promise<KubeObject | undefined> {
  const { cluster } = scope;
  const namespace = capiNamespace(cluster.metadata.name);
  if (!deps.cell || !deps.tokens) {
    throw new Error("Cannot provision a cluster: this operator has no cell identity or tokens");
  }
  const info = (secret: { name: string; key?: string }): BootstrapInfo => ({
    cellUrl: deps.cell!.url,
    caBundlePem: deps.cell!.caBundlePem,
    tokenSecretName: secret.name,
    tokenSecretKey: secret.key,
  });
  // The token Secret must live in the namespace, so the namespace goes first.
  const first = generateCapiObjects(cluster, info({ name: "pending" })).objects[0];
  deps.log.info("Applying CAPI objects", { namespace });
  await deps.client.apply(first, { fieldManager: CELL_FIELD_MANAGER });
  const secret = await deps.tokens.ensure(cluster, namespace, { signal: deps.client.signal });
  const manifests = generateCapiObjects(cluster, info(secret));
  for (const obj of manifests.objects) {
    if (await servedResource(deps, obj.apiVersion, obj.kind)) continue;
    const message = `This cell does not serve ${obj.kind} (${obj.apiVersion}): install the ` +
      `Cluster API provider for ${providerOf(cluster.spec.provider.config)} on the cell`;
    markCondition(scope, CONDITIONS.capiObjectsApplied, "False", "ProviderNotInstalled", message);
    markCondition(scope, CONDITIONS.ready, "False", "ProviderNotInstalled", message);
    setPhase(scope, "Failed", message);
    return undefined;
  }
  let applied: KubeObject | undefined;
  try {
    // CAPI tolerates references to objects that do not exist yet, so the objects go in
    // parallel: one round trip of latency per reconcile instead of seven.
    const results = await Promise.all(
      manifests.objects.slice(1).map((obj) =>
        deps.client.apply(obj, { fieldManager: CELL_FIELD_MANAGER })
      ),
    );
    applied = results.find((o) => o.kind === CLUSTER.kind);
  } catch (e) {
    if (!isInvalid(e)) throw e;
    const message = `The API server rejected the generated CAPI objects: ${(e as Error).message}`;
    markCondition(scope, CONDITIONS.capiObjectsApplied, "False", "ApplyRejected", message);
    markCondition(scope, CONDITIONS.ready, "False", "ApplyRejected", message);
    setPhase(scope, "Failed", message);
    return undefined;
  }
  // A later generation may have replaced templates: drop the ones nothing uses any more.
  // (The first apply cannot have superseded anything, so it costs no extra requests.)
  const before = scope.status.conditions?.find((c) => c.type === CONDITIONS.capiObjectsApplied);
  if (before?.status === "True") {
    await pruneTemplates(cluster, [
      manifests.controlPlaneTemplate,
      manifests.workerTemplate,
      manifests.bootstrapTemplate,
    ], deps);
  }
  markCondition(scope, CONDITIONS.capiObjectsApplied, "True", "Applied", `Applied to ${namespace}`);
  return applied;
}

/** Reconciles a child of this cell (not being deleted, spec valid). */
export async function reconcileChild(scope: ClusterScope, deps: Deps): Promise<PhaseResult> {
  const { cluster } = scope;
  // The pivot records Pivoted=True itself too; either record means the child owns itself.
  const pivoted = isTrue(scope, CONDITIONS.pivoted) ||
    cluster.status?.conditions?.some((c) => c.type === CONDITIONS.pivoted && c.status === "True");
  if (pivoted) return await reconcilePivoted(scope, deps);

  // Once Pivoting, the pivot owns the CAPI objects (it pauses, moves and deletes them).
  if (
    cluster.status?.phase === "Pivoting" ||
    PIVOT_COMMITTED_PHASES.includes(cluster.status?.pivot?.phase ?? "")
  ) {
    return await handOffToPivot(scope, deps);
  }

  let capiCluster: KubeObject | undefined;
  if (!appliedThisGeneration(scope)) {
    capiCluster = await applyCapiObjects(scope, deps);
    // Rejected or provider missing: a CRD installed later fixes it without a spec change.
    if (!capiCluster) return { requeueAfterMs: deps.pollMs };
  } else {
    const namespace = capiNamespace(cluster.metadata.name);
    // The watch's cache answers without a request; a miss (not seen yet, or gone) asks.
    const cached = deps.capiClusters?.get(`${namespace}/${cluster.metadata.name}`);
    capiCluster = cached
      ? cached as KubeObject
      : await getOptional(deps, CLUSTER.apiVersion, CLUSTER.kind, cluster.metadata.name, namespace);
    // Someone removed the objects: apply them again (level-triggered, not event-driven).
    if (!capiCluster) capiCluster = await applyCapiObjects(scope, deps);
    if (!capiCluster) return { requeueAfterMs: deps.pollMs };
  }

  // Recorded only once objects exist: before that the provider may still be changed.
  scope.status.provider = providerOf(cluster.spec.provider.config);
  const nodes = nodeCounts(capiCluster);
  setNodes(scope, nodes.ready, nodes.total);
  const version = controlPlaneVersion(capiCluster);
  if (version) scope.status.kubernetesVersion = version;

  if (!controlPlaneReady(capiCluster)) {
    markCondition(
      scope,
      CONDITIONS.controlPlaneReady,
      "False",
      "WaitingForControlPlane",
      "Waiting for Cluster API to initialize the control plane",
    );
    markCondition(scope, CONDITIONS.ready, "False", "Provisioning", "Machines are provisioning");
    setPhase(scope, "Provisioning", "CAPI objects applied, machines provisioning");
    return { requeueAfterMs: deps.pollMs };
  }
  markCondition(scope, CONDITIONS.controlPlaneReady, "True", "ControlPlaneInitialized");

  return await handOffToPivot(scope, deps);
}

/**
 * Past the pivot's commit point the child owns its CAPI objects: the source copies are
 * being deleted, so the cell must neither read them as missing nor apply them again.
 */
export const PIVOT_COMMITTED_PHASES: readonly string[] = ["Completing", "DeletingSource", "Done"];

async function handOffToPivot(scope: ClusterScope, deps: Deps): Promise<PhaseResult> {
  const { cluster } = scope;
  const progress = deps.pivot ? await deps.pivot(cluster) : "in-progress";
  if (progress !== "done") {
    // Pivoted=False with the step is the pivot's to report; we only summarize.
    markCondition(scope, CONDITIONS.ready, "False", "Pivoting", "Moving CAPI objects");
    setPhase(scope, "Pivoting", "control plane ready, moving CAPI objects to the cluster");
    return { requeueAfterMs: deps.shortPollMs };
  }
  markCondition(
    scope,
    CONDITIONS.pivoted,
    "True",
    "PivotComplete",
    "The cluster owns its CAPI objects",
  );
  markCondition(scope, CONDITIONS.ready, "True", "SelfManaging", "The cluster manages itself");
  setPhase(scope, "Ready", "pivot complete, the cluster manages itself");
  await deps.tokens?.release(cluster.metadata.name);
  return {};
}
