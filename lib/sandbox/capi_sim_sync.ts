/**
 * The simulator's machine controllers: make Machines and Ready Nodes match the replicas and
 * versions of a cluster's control plane and MachineDeployments, and write the statuses
 * CAPI would. Machines live beside the CAPI objects; Nodes live in the cluster's own plane.
 */
import type { KubeClient, KubeObject } from "../kube/mod.ts";
import { isAlreadyExists, isNotFound } from "../kube/mod.ts";
import {
  controlPlaneStatus,
  machineDeploymentStatus,
  machineStatus,
  readyNode,
  type Replicas,
} from "./capi_sim_status.ts";
import { patchStatusOf, resourceForGroupKind } from "./_capi_refs.ts";

/** Where one cluster's CAPI objects live and where its nodes go. */
export interface ClusterObjects {
  /** Client of the plane holding the CAPI objects. */
  client: KubeClient;
  namespace: string;
  cluster: string;
  /** Client of the cluster's own plane (for Node objects). */
  node: KubeClient;
  now: Date;
}

const CLUSTER_LABEL = "cluster.x-k8s.io/cluster-name";
const DEPLOYMENT_LABEL = "cluster.x-k8s.io/deployment-name";
const CONTROL_PLANE_LABEL = "cluster.x-k8s.io/control-plane";

type Spec = Record<string, unknown>;

function ownerRef(owner: KubeObject) {
  return {
    apiVersion: owner.apiVersion ?? "",
    kind: owner.kind ?? "",
    name: owner.metadata?.name ?? "",
    uid: owner.metadata?.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

function infraMachineKind(templateRef: unknown): { apiGroup: string; kind: string } {
  const ref = (templateRef ?? {}) as { apiGroup?: string; kind?: string };
  return {
    apiGroup: ref.apiGroup ?? "infrastructure.cluster.x-k8s.io",
    kind: (ref.kind ?? "DockerMachineTemplate").replace(/Template$/, ""),
  };
}

/** Makes `count` Machines (and their Nodes) with `labels` exist, at `version`. */
async function syncMachines(
  objects: ClusterObjects,
  options: {
    owner: KubeObject;
    prefix: string;
    count: number;
    version: string;
    labels: Record<string, string>;
    selector: string;
    role: "control-plane" | "worker";
    infra: { apiGroup: string; kind: string };
  },
): Promise<void> {
  const { client, namespace, cluster, node, now } = objects;
  const machineRef = await client.resourceFor("cluster.x-k8s.io/v1beta2", "Machine");
  const nodeRef = await node.resourceFor("v1", "Node");
  const existing = (await client.list<KubeObject>(machineRef, {
    namespace,
    labelSelector: options.selector,
  })).items;
  const wanted = new Set(
    Array.from({ length: options.count }, (_, i) => `${options.prefix}-${i}`),
  );
  for (const machine of existing) {
    const name = machine.metadata?.name ?? "";
    if (wanted.has(name)) continue;
    await client.delete(machineRef, name, namespace, { ignoreNotFound: true });
    await node.delete(nodeRef, name, undefined, { ignoreNotFound: true });
  }
  for (const name of wanted) {
    const current = existing.find((m) => m.metadata?.name === name);
    if (!current) {
      try {
        await client.create({
          apiVersion: "cluster.x-k8s.io/v1beta2",
          kind: "Machine",
          metadata: {
            name,
            namespace,
            labels: { ...options.labels, [CLUSTER_LABEL]: cluster },
            ownerReferences: [ownerRef(options.owner)],
          },
          spec: {
            clusterName: cluster,
            version: options.version,
            bootstrap: { dataSecretName: `${name}-bootstrap` },
            infrastructureRef: { ...options.infra, name },
          },
        });
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
      await client.patchStatus(machineRef, name, namespace, { status: machineStatus(name, now) });
    } else if ((current.spec as Spec | undefined)?.version !== options.version) {
      // An upgrade: the simulated machine is replaced in place.
      await client.patch(machineRef, name, { spec: { version: options.version } }, { namespace });
    }
    await ensureNode(node, name, { ...options, cluster, now });
  }
}

async function ensureNode(
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

/** Plays the control-plane provider; returns the control plane and its replica count. */
export async function syncControlPlane(
  objects: ClusterObjects,
  ref: { apiGroup: string; kind: string; name: string } | undefined,
): Promise<{ kcp?: KubeObject; replicas: Replicas }> {
  if (!ref?.kind || !ref.name) return { replicas: { desired: 0 } };
  const { client, namespace, cluster, now } = objects;
  const resource = await resourceForGroupKind(client, ref.apiGroup, ref.kind);
  const kcp = await client.get<KubeObject>(resource, ref.name, namespace);
  const spec = (kcp.spec ?? {}) as Spec;
  const replicas = Number(spec.replicas ?? 1);
  const version = String(spec.version ?? "");
  const template = (spec.machineTemplate ?? {}) as Spec;
  const templateSpec = (template.spec ?? template) as Spec;
  await syncMachines(objects, {
    owner: kcp,
    prefix: ref.name,
    count: replicas,
    version,
    labels: { [CONTROL_PLANE_LABEL]: "" },
    selector: `${CLUSTER_LABEL}=${cluster},${CONTROL_PLANE_LABEL}`,
    role: "control-plane",
    infra: infraMachineKind(templateSpec.infrastructureRef),
  });
  const summary = { desired: replicas, version, generation: kcp.metadata?.generation };
  await patchStatusOf(client, ref, namespace, controlPlaneStatus(summary, now));
  return { kcp, replicas: summary };
}

/** Plays the MachineDeployment controller; returns the workers' summary. */
export async function syncWorkers(objects: ClusterObjects): Promise<Replicas> {
  const { client, namespace, cluster, now } = objects;
  const mdRef = await client.resourceFor("cluster.x-k8s.io/v1beta2", "MachineDeployment");
  const deployments = (await client.list<KubeObject>(mdRef, {
    namespace,
    labelSelector: `${CLUSTER_LABEL}=${cluster}`,
  })).items;
  let total = 0;
  const seen = new Set<string>();
  for (const md of deployments) {
    const spec = (md.spec ?? {}) as Spec;
    const name = md.metadata?.name ?? "";
    const replicas = Number(spec.replicas ?? 0);
    const machineSpec = (((spec.template ?? {}) as Spec).spec ?? {}) as Spec;
    const version = String(machineSpec.version ?? "");
    await syncMachines(objects, {
      owner: md,
      prefix: name,
      count: replicas,
      version,
      labels: { [DEPLOYMENT_LABEL]: name },
      selector: `${DEPLOYMENT_LABEL}=${name}`,
      role: "worker",
      infra: infraMachineKind(machineSpec.infrastructureRef),
    });
    await client.patchStatus(mdRef, name, namespace, {
      status: machineDeploymentStatus(
        { desired: replicas, version, generation: md.metadata?.generation },
        now,
      ),
    });
    total += replicas;
    if (replicas > 0 && version) seen.add(version);
  }
  // The lowest version any worker runs, as CAPI's summary reports the slowest.
  return { desired: total, version: [...seen].sort()[0] };
}

/**
 * Deletes what CAPI's controllers and the garbage collector would on a Cluster deletion
 * (the test control planes run no kube-controller-manager): every object of the cluster
 * in its namespace that carries the cluster-name label, Machines first.
 */
export async function teardown(client: KubeClient, namespace: string, cluster: string) {
  const kinds: [string, string][] = [
    ["cluster.x-k8s.io/v1beta2", "Machine"],
    ["cluster.x-k8s.io/v1beta2", "MachineDeployment"],
    ["cluster.x-k8s.io/v1beta2", "MachineSet"],
  ];
  for (const [apiVersion, kind] of kinds) {
    const ref = await client.resourceFor(apiVersion, kind).catch(() => undefined);
    if (!ref) continue;
    const items = (await client.list<KubeObject>(ref, {
      namespace,
      labelSelector: `${CLUSTER_LABEL}=${cluster}`,
    })).items;
    for (const item of items) {
      await client.delete(ref, item.metadata?.name ?? "", namespace, { ignoreNotFound: true });
    }
  }
}
