/**
 * The SIMULATED control-plane provider (KubeadmControlPlane or RKE2ControlPlane, v1.14
 * behaviour) and the teardown of a deleted Cluster. Workers are played by the
 * MachineDeployment/MachineSet controllers in capi_sim_machineset.ts.
 *
 * Control-plane Machines are named `<control plane>-<random>`, owned (controller) by the
 * control plane, labelled cluster-name, control-plane and control-plane-name; each gets a
 * KubeadmConfig (or RKE2Config) built from the control plane's spec and an infrastructure
 * machine cloned from its machine template. A version or template change rolls them one at
 * a time (scale up by one, then remove the oldest outdated Machine), as KCP's RollingUpdate
 * with maxSurge 1 does; scaling adds or removes one Machine per pass.
 */
import type { KubeClient, KubeObject } from "../kube/mod.ts";
import { controlPlaneStatus, type Replicas } from "./capi_sim_status.ts";
import { patchStatusOf, resourceForGroupKind } from "./_capi_refs.ts";
import {
  CAPI_V1BETA2,
  CLONED_FROM_NAME,
  CLUSTER_LABEL,
  type ClusterObjects,
  CONTROL_PLANE_LABEL,
  CONTROL_PLANE_NAME_LABEL,
  createMachine,
  deleteMachine,
  ensureClusterOwner,
  ensureFinalizer,
  ensureTemplateSecrets,
  forceDelete,
  getRef,
  type GroupKindName,
  randomSuffix,
  settleMachine,
} from "./capi_sim_objects.ts";

export type { ClusterObjects } from "./capi_sim_objects.ts";
export { syncWorkers } from "./capi_sim_machineset.ts";

type Spec = Record<string, unknown>;

/** The finalizer each control-plane provider puts on its control plane object. */
const CONTROL_PLANE_FINALIZER: Record<string, string> = {
  KubeadmControlPlane: "kubeadm.controlplane.cluster.x-k8s.io",
  RKE2ControlPlane: "rke2.controlplane.cluster.x-k8s.io",
};

/** The bootstrap config a control-plane Machine gets from its control plane's spec. */
function bootstrapConfigFor(cp: KubeObject, first: boolean) {
  const spec = (cp.spec ?? {}) as Spec;
  if (cp.kind === "RKE2ControlPlane") {
    const keep = ["agentConfig", "files", "preRKE2Commands", "postRKE2Commands"];
    const config = Object.fromEntries(Object.entries(spec).filter(([k]) => keep.includes(k)));
    return { apiGroup: "bootstrap.cluster.x-k8s.io", kind: "RKE2Config", spec: config };
  }
  const config = structuredClone((spec.kubeadmConfigSpec ?? {}) as Spec);
  // KCP's first machine runs `kubeadm init`, the others `kubeadm join`.
  if (first) delete config.joinConfiguration;
  else delete config.initConfiguration;
  return { apiGroup: "bootstrap.cluster.x-k8s.io", kind: "KubeadmConfig", spec: config };
}

async function isUpToDate(
  client: KubeClient,
  machine: KubeObject,
  version: string,
  template: GroupKindName,
): Promise<boolean> {
  const spec = (machine.spec ?? {}) as {
    version?: string;
    infrastructureRef?: { apiGroup?: string; kind?: string; name?: string };
  };
  if (spec.version !== version) return false;
  const ref = spec.infrastructureRef;
  if (!ref?.apiGroup || !ref.kind || !ref.name) return false;
  const resource = await resourceForGroupKind(client, ref.apiGroup, ref.kind);
  const infra = await client.get<KubeObject>(resource, ref.name, machine.metadata?.namespace)
    .catch(() => undefined);
  return infra?.metadata?.annotations?.[CLONED_FROM_NAME] === template.name;
}

/** Plays the control-plane provider; returns the control plane and its replica count. */
export async function syncControlPlane(
  objects: ClusterObjects,
  ref: { apiGroup: string; kind: string; name: string } | undefined,
): Promise<{ kcp?: KubeObject; replicas: Replicas }> {
  if (!ref?.kind || !ref.name) return { replicas: { desired: 0 } };
  const { client, namespace, cluster, now } = objects;
  const resource = await resourceForGroupKind(client, ref.apiGroup, ref.kind);
  const kcp = await client.get<KubeObject>(resource, ref.name, namespace);
  const finalizer = CONTROL_PLANE_FINALIZER[ref.kind];
  if (finalizer) await ensureFinalizer(client, kcp, finalizer);
  if (objects.capi) await ensureClusterOwner(client, kcp, objects.capi);
  const spec = (kcp.spec ?? {}) as Spec;
  const replicas = Number(spec.replicas ?? 1);
  const version = String(spec.version ?? "");
  const template = (spec.machineTemplate ?? {}) as Spec;
  const templateSpec = (template.spec ?? template) as Spec;
  const infraTemplate = templateSpec.infrastructureRef as GroupKindName | undefined;
  const summary = { desired: replicas, version, generation: kcp.metadata?.generation };
  const templateObject = await getRef(client, infraTemplate, namespace);
  if (templateObject) await ensureTemplateSecrets(objects, templateObject);
  if (templateObject && objects.capi) {
    await ensureClusterOwner(client, templateObject, objects.capi);
  }
  if (!infraTemplate?.kind) {
    await patchStatusOf(client, ref, namespace, controlPlaneStatus(summary, now));
    return { kcp, replicas: summary };
  }

  const machineRef = await client.resourceFor(CAPI_V1BETA2, "Machine");
  const machines = (await client.list<KubeObject>(machineRef, {
    namespace,
    labelSelector: `${CLUSTER_LABEL}=${cluster},${CONTROL_PLANE_NAME_LABEL}=${ref.name}`,
  })).items.sort((a, b) =>
    (a.metadata?.creationTimestamp ?? "").localeCompare(b.metadata?.creationTimestamp ?? "")
  );
  for (const gone of machines.filter((m) => m.metadata?.deletionTimestamp)) {
    await deleteMachine(objects, gone);
  }
  const live = machines.filter((m) => !m.metadata?.deletionTimestamp);
  for (const m of live) await settleMachine(objects, m, "control-plane");
  const outdated: KubeObject[] = [];
  for (const m of live) {
    if (!await isUpToDate(client, m, version, infraTemplate)) outdated.push(m);
  }
  const labels = {
    ...((template.metadata as { labels?: Record<string, string> } | undefined)?.labels),
    [CONTROL_PLANE_LABEL]: "",
    [CONTROL_PLANE_NAME_LABEL]: ref.name,
  };
  let count = live.length;
  // Scale up (or surge during a rollout) by one Machine per pass.
  if (count < replicas || (outdated.length > 0 && count <= replicas)) {
    await createMachine(objects, {
      name: `${ref.name}-${randomSuffix()}`,
      owner: kcp,
      labels,
      version,
      role: "control-plane",
      infraTemplate,
      bootstrap: { config: bootstrapConfigFor(kcp, live.length === 0) },
    });
    count++;
  }
  // Scale down (or finish a rollout step): the oldest outdated Machine first.
  if (count > replicas) {
    const victim = outdated[0] ?? live[0];
    if (victim) await deleteMachine(objects, victim);
  }
  await patchStatusOf(client, ref, namespace, controlPlaneStatus(summary, now));
  return { kcp, replicas: summary };
}

/**
 * Deletes what CAPI's controllers and the garbage collector would on a Cluster deletion
 * (the sandbox planes run no kube-controller-manager): the cluster's Machines with their
 * infrastructure machines, bootstrap configs and Secrets, its MachineSets and
 * MachineDeployments, the cluster Secrets and (given the Cluster) its control plane and
 * infrastructure cluster; finalizers the simulator played are removed.
 */
export async function teardown(
  client: KubeClient,
  namespace: string,
  cluster: string,
  capi?: KubeObject,
) {
  const list = async (apiVersion: string, kind: string, selector: string) => {
    const ref = await client.resourceFor(apiVersion, kind).catch(() => undefined);
    if (!ref) return [];
    return (await client.list<KubeObject>(ref, { namespace, labelSelector: selector })).items;
  };
  const selector = `${CLUSTER_LABEL}=${cluster}`;
  // The cluster's own plane (its Nodes) is going away with it.
  const objects = { client, namespace, cluster };
  for (const machine of await list(CAPI_V1BETA2, "Machine", selector)) {
    await deleteMachine(objects, machine).catch(() => undefined);
  }
  for (const kind of ["MachineSet", "MachineDeployment"]) {
    for (const item of await list(CAPI_V1BETA2, kind, selector)) {
      await forceDelete(client, CAPI_V1BETA2, kind, item.metadata?.name ?? "", namespace);
    }
  }
  for (const secret of await list("v1", "Secret", selector)) {
    if (secret.type !== "cluster.x-k8s.io/secret") continue;
    await forceDelete(client, "v1", "Secret", secret.metadata?.name ?? "", namespace);
  }
  const spec = (capi?.spec ?? {}) as Record<string, GroupKindName | undefined>;
  for (const ref of [spec.controlPlaneRef, spec.infrastructureRef]) {
    const object = await getRef(client, ref, namespace).catch(() => undefined);
    if (!object) continue;
    await forceDelete(
      client,
      object.apiVersion ?? "",
      object.kind ?? "",
      object.metadata?.name ?? "",
      namespace,
    );
  }
}
