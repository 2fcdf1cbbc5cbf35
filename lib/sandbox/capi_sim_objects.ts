/**
 * The SIMULATED Machine lifecycle of the CAPI simulator: what Cluster API v1.14's
 * MachineSet / KubeadmControlPlane controllers, the Machine controller, the bootstrap
 * provider (CABPK or RKE2) and the infrastructure provider leave for one Machine:
 *
 * - the bootstrap config (KubeadmConfig / RKE2Config) named after the Machine, cloned from
 *   the MachineDeployment's config template (or built from the control plane's spec);
 * - the infrastructure machine (DockerMachine, DevMachine, AWSMachine, ...) named after the
 *   Machine, cloned from its machine template with the cloned-from annotations;
 * - the Machine, owned by its MachineSet or control plane, with the machine finalizer;
 * - both cloned objects re-owned by the Machine (the Machine controller replaces the
 *   creator's ownerReference by its own controller reference);
 * - the bootstrap-data Secret the bootstrap provider writes, owned by the config;
 * - statuses with v1beta2 conditions, and a Ready Node in the cluster's own plane.
 *
 * Deleting a Machine removes all of that, as the Machine controller and (for the Secret)
 * the garbage collector would: the sandbox planes run no kube-controller-manager.
 */
import type { KubeClient, KubeObject } from "../kube/mod.ts";
import { isNotFound } from "../kube/mod.ts";
import { resourceForGroupKind } from "./_capi_refs.ts";
import {
  CAPI_V1BETA2,
  CLONED_FROM_GROUPKIND,
  CLONED_FROM_NAME,
  CLUSTER_LABEL,
  type ClusterObjects,
  controllerRef,
  createOrGet,
  forceDelete,
  getRef,
  type GroupKindName,
  groupOf,
  MACHINE_FINALIZER,
  providerFinalizer,
} from "./capi_sim_meta.ts";

export * from "./capi_sim_meta.ts";

type Spec = Record<string, unknown>;
import {
  bootstrapConfigStatus,
  infraMachineStatus,
  machineStatus,
  readyNode,
} from "./capi_sim_status.ts";

/** How a Machine's bootstrap config is made. */
export type BootstrapSource =
  | { template: GroupKindName }
  | { config: { apiGroup: string; kind: string; spec: Spec } };

/** What {@linkcode createMachine} needs. */
export interface NewMachine {
  name: string;
  /** The MachineSet or control plane creating it (its controller). */
  owner: KubeObject;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  version: string;
  role: "control-plane" | "worker";
  infraTemplate: GroupKindName;
  bootstrap: BootstrapSource;
  /** Extra Machine spec fields carried from the template (failureDomain, deletion, ...). */
  spec?: Spec;
}

/** Clones `template`'s spec.template into a new object named `name` (CreateFromTemplate). */
async function cloneTemplate(
  objects: ClusterObjects,
  template: GroupKindName,
  name: string,
  labels: Record<string, string>,
  owner: KubeObject,
  finalizers: string[],
): Promise<KubeObject> {
  const { client, namespace, cluster } = objects;
  const ref = await resourceForGroupKind(client, template.apiGroup, template.kind);
  const source = await client.get<KubeObject>(ref, template.name, namespace);
  const inner = ((source.spec as Spec | undefined)?.template ?? {}) as {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: Spec;
  };
  const kind = template.kind.replace(/Template$/, "");
  return await createOrGet(client, {
    apiVersion: source.apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      labels: { ...inner.metadata?.labels, ...labels, [CLUSTER_LABEL]: cluster },
      annotations: {
        ...inner.metadata?.annotations,
        [CLONED_FROM_NAME]: template.name,
        [CLONED_FROM_GROUPKIND]: `${template.kind}.${template.apiGroup}`,
      },
      ownerReferences: [{ ...controllerRef(owner), controller: undefined }],
      ...(finalizers.length ? { finalizers } : {}),
    },
    spec: structuredClone(inner.spec ?? {}),
  });
}

async function bootstrapConfig(
  objects: ClusterObjects,
  m: NewMachine,
  labels: Record<string, string>,
): Promise<KubeObject> {
  if ("template" in m.bootstrap) {
    return await cloneTemplate(objects, m.bootstrap.template, m.name, labels, m.owner, []);
  }
  const { apiGroup, kind, spec } = m.bootstrap.config;
  const ref = await resourceForGroupKind(objects.client, apiGroup, kind);
  return await createOrGet(objects.client, {
    apiVersion: `${ref.group}/${ref.version}`,
    kind,
    metadata: {
      name: m.name,
      namespace: objects.namespace,
      labels: { ...labels, [CLUSTER_LABEL]: objects.cluster },
      ownerReferences: [controllerRef(m.owner)],
    },
    spec: structuredClone(spec),
  });
}

/** Replaces the creator's reference by the Machine's controller reference. */
async function reown(client: KubeClient, object: KubeObject, machine: KubeObject): Promise<void> {
  const ref = await client.resourceFor(object.apiVersion ?? "", object.kind ?? "");
  // removeOnCreateOwnerRefs: the MachineSet's or control plane's reference goes.
  const kept = (object.metadata?.ownerReferences ?? []).filter((o) =>
    !((o.kind === "MachineSet" || o.kind === "Machine") &&
      groupOf(o.apiVersion) === "cluster.x-k8s.io") &&
    !(o.kind.endsWith("ControlPlane") && groupOf(o.apiVersion) === "controlplane.cluster.x-k8s.io")
  );
  await client.patch(ref, object.metadata?.name ?? "", {
    metadata: { ownerReferences: [...kept, controllerRef(machine)] },
  }, { namespace: object.metadata?.namespace });
}

/** Creates one Machine with everything the controllers put around it; returns it. */
export async function createMachine(objects: ClusterObjects, m: NewMachine): Promise<KubeObject> {
  const { client, namespace, cluster } = objects;
  const labels = { ...m.labels, [CLUSTER_LABEL]: cluster };
  const config = await bootstrapConfig(objects, m, labels);
  const infraFinalizer = providerFinalizer(
    m.infraTemplate.kind.replace(/Template$/, ""),
    m.infraTemplate.apiGroup,
  );
  const infra = await cloneTemplate(objects, m.infraTemplate, m.name, labels, m.owner, [
    infraFinalizer,
  ]);
  const docker = /^(Docker|Dev)Machine$/.test(infra.kind ?? "");
  const machine = await createOrGet(client, {
    apiVersion: CAPI_V1BETA2,
    kind: "Machine",
    metadata: {
      name: m.name,
      namespace,
      labels,
      ...(m.annotations ? { annotations: m.annotations } : {}),
      ownerReferences: [controllerRef(m.owner)],
      finalizers: [MACHINE_FINALIZER],
    },
    spec: {
      ...m.spec,
      clusterName: cluster,
      version: m.version,
      bootstrap: {
        configRef: { apiGroup: groupOf(config.apiVersion), kind: config.kind, name: m.name },
        dataSecretName: m.name,
      },
      infrastructureRef: { apiGroup: groupOf(infra.apiVersion), kind: infra.kind, name: m.name },
      ...(docker ? { providerID: `docker:////${m.name}` } : {}),
    },
  });
  await reown(client, config, machine);
  await reown(client, infra, machine);
  await createOrGet(client, {
    apiVersion: "v1",
    kind: "Secret",
    type: "cluster.x-k8s.io/secret",
    metadata: {
      name: m.name,
      namespace,
      labels: { [CLUSTER_LABEL]: cluster },
      ownerReferences: [{ ...controllerRef(config), blockOwnerDeletion: undefined }],
    },
    stringData: {
      value: `## simulated bootstrap data of ${m.name} (Lattice sandbox: no machine boots it)\n`,
      format: "cloud-config",
    },
  });
  await settleMachine(objects, machine, m.role);
  return machine;
}

/**
 * Brings an existing Machine to Running: statuses of its bootstrap config, infrastructure
 * machine and itself (once, while it has no nodeRef), and its Ready Node at its version.
 * Idempotent, so a pass interrupted half-way is finished by the next.
 */
export async function settleMachine(
  objects: ClusterObjects,
  machine: KubeObject,
  role: "control-plane" | "worker",
): Promise<void> {
  const { client, namespace, cluster, now } = objects;
  const name = machine.metadata?.name ?? "";
  const spec = (machine.spec ?? {}) as {
    version?: string;
    infrastructureRef?: GroupKindName;
    bootstrap?: { configRef?: GroupKindName };
  };
  if (!(machine.status as Spec | undefined)?.nodeRef) {
    const config = await getRef(client, spec.bootstrap?.configRef, namespace);
    if (config) {
      const ref = await client.resourceFor(config.apiVersion ?? "", config.kind ?? "");
      await client.patchStatus(ref, config.metadata?.name ?? "", namespace, {
        status: bootstrapConfigStatus(name, config.metadata?.generation, now),
      });
    }
    const infra = await getRef(client, spec.infrastructureRef, namespace);
    if (infra) {
      const ref = await client.resourceFor(infra.apiVersion ?? "", infra.kind ?? "");
      await client.patchStatus(ref, infra.metadata?.name ?? "", namespace, {
        status: infraMachineStatus(name, now, infra.kind),
      });
    }
    const machineRef = await client.resourceFor(CAPI_V1BETA2, "Machine");
    await client.patchStatus(machineRef, name, namespace, { status: machineStatus(name, now) });
  }
  await ensureNode(objects.node, name, { role, version: spec.version ?? "", cluster, now });
}

/** Makes the Node of a Machine exist and be Ready at `version`. */
export async function ensureNode(
  client: KubeClient,
  name: string,
  options: { role: "control-plane" | "worker"; version: string; cluster: string; now: Date },
): Promise<void> {
  const ref = await client.resourceFor("v1", "Node");
  const desired = readyNode(name, options);
  let current: KubeObject | undefined;
  try {
    current = await client.get<KubeObject>(ref, name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    current = await client.create(desired.object);
  }
  const info = ((current.status as Spec | undefined)?.nodeInfo ?? {}) as Spec;
  const ready = (((current.status as Spec | undefined)?.conditions ?? []) as Spec[])
    .some((c) => c.type === "Ready" && c.status === "True");
  if (!ready || info.kubeletVersion !== (desired.status.nodeInfo as Spec).kubeletVersion) {
    await client.patchStatus(ref, name, undefined, { status: desired.status });
  }
}

/**
 * Deletes a Machine as its controller would (infrastructure machine, bootstrap config, the
 * Node, then the finalizer) and its bootstrap Secret as the garbage collector would.
 */
export async function deleteMachine(
  objects: { client: KubeClient; namespace: string; node?: KubeClient },
  machine: KubeObject,
): Promise<void> {
  const { client, namespace } = objects;
  const name = machine.metadata?.name ?? "";
  const spec = (machine.spec ?? {}) as {
    infrastructureRef?: { apiGroup?: string; kind?: string; name?: string };
    bootstrap?: { configRef?: { apiGroup?: string; kind?: string; name?: string } };
  };
  for (const ref of [spec.infrastructureRef, spec.bootstrap?.configRef]) {
    if (!ref?.apiGroup || !ref.kind || !ref.name) continue;
    const resource = await resourceForGroupKind(client, ref.apiGroup, ref.kind).catch(() =>
      undefined
    );
    if (!resource) continue;
    await forceDelete(
      client,
      `${resource.group}/${resource.version}`,
      ref.kind,
      ref.name,
      namespace,
    );
  }
  await forceDelete(client, "v1", "Secret", name, namespace);
  if (objects.node) {
    const nodeRef = await objects.node.resourceFor("v1", "Node");
    await objects.node.delete(nodeRef, name, undefined, { ignoreNotFound: true });
  }
  await forceDelete(client, CAPI_V1BETA2, "Machine", name, namespace);
}
