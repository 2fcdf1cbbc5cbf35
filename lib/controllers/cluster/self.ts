/**
 * Self mode: a cluster reconciles its OWN LatticeCluster against its local CAPI objects.
 * Scaling sets replicas; a version change upgrades the control plane first and the
 * workers only once every control-plane machine runs the new version.
 *
 * Only replicas and versions are changed, with their own field manager, so the objects
 * the pivot brought (owned by the cell's manager) are otherwise left exactly as they are.
 */
import { providerOf } from "../../api/mod.ts";
import {
  capiNamespace,
  capiVersion,
  CLUSTER,
  controlPlaneName,
  controlPlaneType,
  MACHINE_DEPLOYMENT,
  machineDeploymentName,
} from "../../capi/mod.ts";
import type { KubeObject } from "../../kube/mod.ts";
import type { Action } from "../../runtime/mod.ts";
import { controlPlaneAt, controlPlaneReady, nodeCounts, plainVersion } from "./capi_status.ts";
import { type Deps, getOptional, SELF_FIELD_MANAGER } from "./deps.ts";
import { type ClusterScope, CONDITIONS, markCondition, setNodes, setPhase } from "./scope.ts";
import { pruneTemplates } from "./prune.ts";
import { planTemplates } from "./self_templates.ts";

type Json = Record<string, unknown>;
const at = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Json | undefined)?.[k], o);

function patchOf(obj: KubeObject, spec: Json): KubeObject {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: { name: obj.metadata?.name, namespace: obj.metadata?.namespace },
    spec,
  };
}

/** Reconciles this cluster's own LatticeCluster (not being deleted, spec valid). */
export async function reconcileSelf(scope: ClusterScope, deps: Deps): Promise<Action> {
  const { cluster } = scope;
  const name = cluster.metadata.name;
  const namespace = capiNamespace(name);
  const bootstrap = cluster.spec.provider.kubernetes.bootstrap;
  scope.status.provider = providerOf(cluster.spec.provider.config);
  const unpivot = cluster.status?.unpivot?.phase;
  if (unpivot && unpivot !== "Aborted") {
    // Being deleted by the parent: the unpivot moves these CAPI objects back there, and an
    // apply here could re-create one it just deleted. Stand down.
    const message = `The parent is taking the CAPI objects back (unpivot ${unpivot})`;
    markCondition(scope, CONDITIONS.ready, "False", "Unpivoting", message);
    setPhase(scope, "Deleting", message);
    return {};
  }
  const cpType = controlPlaneType(bootstrap);
  const [capiCluster, cp, md] = await Promise.all([
    getOptional(deps, CLUSTER.apiVersion, CLUSTER.kind, name, namespace),
    getOptional(deps, cpType.apiVersion, cpType.kind, controlPlaneName(name), namespace),
    getOptional(
      deps,
      MACHINE_DEPLOYMENT.apiVersion,
      MACHINE_DEPLOYMENT.kind,
      machineDeploymentName(name),
      namespace,
    ),
  ]);
  if (!capiCluster || !cp || !md) {
    const missing = [!capiCluster && "Cluster", !cp && cpType.kind, !md && "MachineDeployment"]
      .filter(Boolean).join(", ");
    const message = `${missing} not found in ${namespace}; self-management starts once the ` +
      "pivot has moved the CAPI objects here";
    markCondition(scope, CONDITIONS.ready, "False", "CapiObjectsMissing", message);
    if (!scope.status.phase || scope.status.phase === "Failed") {
      setPhase(scope, "Pending", message);
    }
    return { requeueAfterMs: deps.pollMs };
  }

  const desired = capiVersion(cluster.spec.provider.kubernetes.version, bootstrap);
  const cpReplicas = cluster.spec.nodes.controlPlane;
  const workers = cluster.spec.nodes.workers;

  const templates = planTemplates(cluster, cp, md);
  for (const template of templates.create) {
    deps.log.info("Creating template", { kind: template.kind, name: template.metadata.name });
    await deps.client.apply(template, { fieldManager: SELF_FIELD_MANAGER });
  }

  let cpChanged = false;
  if (
    at(cp, "spec", "replicas") !== cpReplicas || at(cp, "spec", "version") !== desired ||
    templates.controlPlaneInfra
  ) {
    deps.log.info("Updating control plane", { replicas: cpReplicas, version: desired });
    const spec: Json = { replicas: cpReplicas, version: desired };
    if (templates.controlPlaneInfra) {
      spec.machineTemplate = { spec: { infrastructureRef: templates.controlPlaneInfra } };
    }
    await deps.client.apply(patchOf(cp, spec), { fieldManager: SELF_FIELD_MANAGER });
    cpChanged = true;
  }
  const cpDone = !cpChanged && controlPlaneAt(cp, desired);
  markCondition(
    scope,
    CONDITIONS.controlPlaneUpToDate,
    cpDone ? "True" : "False",
    cpDone ? "UpToDate" : "RollingOut",
    cpDone ? `Control plane runs ${desired}` : `Control plane rolling out ${desired}`,
  );

  // Workers never run ahead of the control plane: hold their version until it is done.
  const mdVersion = at(md, "spec", "template", "spec", "version");
  const workerVersion = cpDone ? desired : mdVersion;
  if (
    at(md, "spec", "replicas") !== workers || mdVersion !== workerVersion ||
    templates.workerInfra || templates.workerBootstrap
  ) {
    deps.log.info("Updating workers", { replicas: workers, version: workerVersion });
    const template: Json = { version: workerVersion };
    if (templates.workerInfra) template.infrastructureRef = templates.workerInfra;
    if (templates.workerBootstrap) template.bootstrap = { configRef: templates.workerBootstrap };
    await deps.client.apply(
      patchOf(md, { replicas: workers, template: { spec: template } }),
      { fieldManager: SELF_FIELD_MANAGER },
    );
  }
  const mdStatus = (md.status ?? {}) as Json;
  const workersDone = workerVersion === desired && at(md, "spec", "replicas") === workers &&
    !templates.workerInfra && !templates.workerBootstrap &&
    ((mdStatus.upToDateReplicas as number | undefined) ?? 0) >= workers;
  markCondition(
    scope,
    CONDITIONS.workersUpToDate,
    workersDone ? "True" : "False",
    workersDone ? "UpToDate" : cpDone ? "RollingOut" : "WaitingForControlPlane",
    workersDone ? `Workers run ${desired}` : `Workers moving to ${desired}`,
  );

  if (cpDone && workersDone) await pruneTemplates(cluster, templates.wanted, deps);

  const nodes = nodeCounts(capiCluster);
  setNodes(scope, nodes.ready, nodes.total);
  const running = at(cp, "status", "version");
  if (typeof running === "string") scope.status.kubernetesVersion = plainVersion(running);

  if (!controlPlaneReady(capiCluster)) {
    markCondition(scope, CONDITIONS.controlPlaneReady, "False", "WaitingForControlPlane");
    markCondition(scope, CONDITIONS.ready, "False", "Provisioning", "Control plane not ready");
    setPhase(scope, "Provisioning", "waiting for the control plane");
    return { requeueAfterMs: deps.pollMs };
  }
  markCondition(scope, CONDITIONS.controlPlaneReady, "True", "ControlPlaneInitialized");
  markCondition(
    scope,
    CONDITIONS.ready,
    "True",
    cpDone && workersDone ? "SelfManaging" : "Updating",
    cpDone && workersDone ? "The cluster manages itself" : "Rolling out a change",
  );
  setPhase(scope, "Ready", "the cluster manages itself");
  return cpDone && workersDone ? {} : { requeueAfterMs: deps.pollMs };
}
