/**
 * The SIMULATED Cluster API controllers' shared vocabulary: the labels, annotations and
 * finalizers of Cluster API v1.14, where a cluster's objects live, and the small
 * metadata operations every simulated controller performs (controller references, adding
 * the Cluster as owner, finalizers, deleting without running finalizers).
 */
import type { KubeClient, KubeObject, OwnerReference } from "../kube/mod.ts";
import { isAlreadyExists, isNotFound } from "../kube/mod.ts";
import { resourceForGroupKind } from "./_capi_refs.ts";

export const CLUSTER_LABEL = "cluster.x-k8s.io/cluster-name";
export const CONTROL_PLANE_LABEL = "cluster.x-k8s.io/control-plane";
export const CONTROL_PLANE_NAME_LABEL = "cluster.x-k8s.io/control-plane-name";
export const DEPLOYMENT_LABEL = "cluster.x-k8s.io/deployment-name";
export const SET_LABEL = "cluster.x-k8s.io/set-name";
export const TEMPLATE_HASH_LABEL = "machine-template-hash";
export const REVISION_ANNOTATION = "machinedeployment.clusters.x-k8s.io/revision";
export const CLONED_FROM_NAME = "cluster.x-k8s.io/cloned-from-name";
export const CLONED_FROM_GROUPKIND = "cluster.x-k8s.io/cloned-from-groupkind";
export const MACHINE_FINALIZER = "machine.cluster.x-k8s.io";
export const MACHINESET_FINALIZER = "cluster.x-k8s.io/machineset";
export const MACHINEDEPLOYMENT_FINALIZER = "cluster.x-k8s.io/machinedeployment";
export const CAPI_V1BETA2 = "cluster.x-k8s.io/v1beta2";

/** Where one cluster's CAPI objects live and where its nodes go. */
export interface ClusterObjects {
  /** Client of the plane holding the CAPI objects. */
  client: KubeClient;
  namespace: string;
  cluster: string;
  /** Client of the cluster's own plane (for Node objects). */
  node: KubeClient;
  now: Date;
  /** The Cluster (controllers make it an owner of what it uses). */
  capi?: KubeObject;
}

type Spec = Record<string, unknown>;

/** A v1beta2 contract reference. */
export interface GroupKindName {
  apiGroup: string;
  kind: string;
  name: string;
}

/** The controller reference `owner` gets on what it creates (NewControllerRef). */
export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? "",
    kind: owner.kind ?? "",
    name: owner.metadata?.name ?? "",
    uid: owner.metadata?.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** Five random characters, as apiserver's / CAPI's SimpleNameGenerator appends. */
export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return [...bytes].map((b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join("");
}

/** The finalizer an infrastructure provider puts on its objects (`dockermachine.infra...`). */
export function providerFinalizer(kind: string, apiGroup: string): string {
  // CAPD v1.14 reconciles DevCluster/DevMachine with the Docker kinds' finalizers
  // (infrav1.ClusterFinalizer, infrav1.MachineFinalizer).
  const named = apiGroup === "infrastructure.cluster.x-k8s.io"
    ? kind.replace(/^Dev/, "Docker")
    : kind;
  return `${named.toLowerCase()}.${apiGroup}`;
}

/** The group of an apiVersion. */
export function groupOf(apiVersion: string | undefined): string {
  const v = apiVersion ?? "";
  return v.includes("/") ? v.slice(0, v.indexOf("/")) : "";
}

export async function createOrGet(client: KubeClient, object: KubeObject): Promise<KubeObject> {
  try {
    return await client.create(object);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    const ref = await client.resourceFor(object.apiVersion ?? "", object.kind ?? "");
    return await client.get<KubeObject>(
      ref,
      object.metadata?.name ?? "",
      object.metadata?.namespace,
    );
  }
}

/** Strips every finalizer from an object and deletes it (absent is fine). */
export async function forceDelete(
  client: KubeClient,
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
): Promise<void> {
  const ref = await client.resourceFor(apiVersion, kind).catch(() => undefined);
  if (!ref) return;
  try {
    await client.patch(ref, name, { metadata: { finalizers: null } }, { namespace });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await client.delete(ref, name, namespace, { ignoreNotFound: true });
}

/** Adds `finalizer` to an object that lacks it (what each controller does first). */
export async function ensureFinalizer(
  client: KubeClient,
  object: KubeObject,
  finalizer: string,
): Promise<void> {
  const finalizers = object.metadata?.finalizers ?? [];
  if (finalizers.includes(finalizer)) return;
  const ref = await client.resourceFor(object.apiVersion ?? "", object.kind ?? "");
  await client.patch(ref, object.metadata?.name ?? "", {
    metadata: {
      finalizers: [...finalizers, finalizer],
      resourceVersion: object.metadata?.resourceVersion,
    },
  }, { namespace: object.metadata?.namespace });
}

/**
 * Adds the Cluster as a (non-controller) owner, as Cluster API's controllers do for what a
 * Cluster uses: the Cluster controller for its infrastructure cluster and control plane, the
 * MachineDeployment controller for the deployment and its templates, KCP for its machine
 * template. No-op when already owned.
 */
export async function ensureClusterOwner(
  client: KubeClient,
  object: KubeObject,
  capi: KubeObject,
): Promise<void> {
  const owners = object.metadata?.ownerReferences ?? [];
  const uid = capi.metadata?.uid ?? "";
  if (owners.some((o) => o.uid === uid)) return;
  const ref = await client.resourceFor(object.apiVersion ?? "", object.kind ?? "");
  const clusterRef: OwnerReference = {
    apiVersion: capi.apiVersion ?? CAPI_V1BETA2,
    kind: "Cluster",
    name: capi.metadata?.name ?? "",
    uid,
  };
  // A reference to a Cluster of the same name with another UID is stale (e.g. copied).
  const kept = owners.filter((o) => !(o.kind === "Cluster" && o.name === clusterRef.name));
  await client.patch(ref, object.metadata?.name ?? "", {
    metadata: { ownerReferences: [...kept, clusterRef] },
  }, { namespace: object.metadata?.namespace });
}

/** Gets the object a v1beta2 reference points at, or undefined when it is absent. */
export async function getRef(
  client: KubeClient,
  ref: { apiGroup?: string; kind?: string; name?: string } | undefined,
  namespace: string,
): Promise<KubeObject | undefined> {
  if (!ref?.apiGroup || !ref.kind || !ref.name) return undefined;
  const resource = await resourceForGroupKind(client, ref.apiGroup, ref.kind);
  try {
    return await client.get<KubeObject>(resource, ref.name, namespace);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Secrets an infrastructure provider writes for a machine template: CAPZ's
 * `<template>-azure-json` (the cloud-provider config machines read), owned by the
 * AzureMachineTemplate. Other providers write none the generated objects read.
 */
export async function ensureTemplateSecrets(
  objects: ClusterObjects,
  template: KubeObject,
): Promise<void> {
  if (template.kind !== "AzureMachineTemplate") return;
  const { client, namespace, cluster } = objects;
  const config = JSON.stringify({ cloud: "AzurePublicCloud", simulated: "Lattice sandbox" });
  await createOrGet(client, {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name: `${template.metadata?.name}-azure-json`,
      namespace,
      labels: { [CLUSTER_LABEL]: cluster },
      ownerReferences: [controllerRef(template)],
    },
    stringData: { "control-plane-azure.json": config, "worker-node-azure.json": config },
  });
}
