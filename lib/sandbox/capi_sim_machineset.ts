/**
 * The SIMULATED MachineDeployment and MachineSet controllers (Cluster API v1.14, v1beta2):
 *
 * - a MachineDeployment owns MachineSets, one per machine template it has had; the set
 *   whose template matches the deployment's is the "new" one, named `<md>-<random>`, with
 *   the `machine-template-hash` label (hash of the rollout fields + the random suffix), the
 *   deployment-name and cluster-name labels, the revision annotation, the MachineSet
 *   finalizer and the deployment as controller;
 * - scaling with one MachineSet changes its replicas; a template change creates a new set
 *   and rolls (RollingUpdate, maxSurge 1 / maxUnavailable 0 by default): each pass the new
 *   set grows by the surge, then the old sets shrink by what became available; old sets at
 *   zero are deleted (cleanupDeployment);
 * - a MachineSet owns its Machines (`<set>-<random>`, set-name + deployment-name labels) and
 *   scales them with everything a Machine carries (capi_sim_objects.ts).
 *
 * The simulated machines are Ready as soon as they exist, so a rollout advances one step
 * per simulator pass: tests step `tick()` and see the history the real controller leaves.
 */
import type { KubeObject } from "../kube/mod.ts";
import { contentHash } from "../capi/hash.ts";
import { machineDeploymentStatus, machineSetStatus, type Replicas } from "./capi_sim_status.ts";
import {
  CAPI_V1BETA2,
  CLUSTER_LABEL,
  type ClusterObjects,
  controllerRef,
  createMachine,
  deleteMachine,
  DEPLOYMENT_LABEL,
  ensureClusterOwner,
  ensureFinalizer,
  ensureTemplateSecrets,
  forceDelete,
  getRef,
  type GroupKindName,
  MACHINEDEPLOYMENT_FINALIZER,
  MACHINESET_FINALIZER,
  randomSuffix,
  REVISION_ANNOTATION,
  SET_LABEL,
  settleMachine,
  TEMPLATE_HASH_LABEL,
} from "./capi_sim_objects.ts";

type Spec = Record<string, unknown>;

interface MachineTemplateSpec {
  version?: string;
  failureDomain?: string;
  infrastructureRef?: GroupKindName;
  bootstrap?: { configRef?: GroupKindName; dataSecretName?: string };
  [field: string]: unknown;
}

function templateOf(object: KubeObject): {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: MachineTemplateSpec;
} {
  return ((object.spec as Spec | undefined)?.template ?? {}) as ReturnType<typeof templateOf>;
}

/** The fields whose change rolls the machines (MachineTemplateDeepCopyRolloutFields). */
function rolloutFields(spec: MachineTemplateSpec | undefined): unknown {
  const ref = (r?: GroupKindName) => r ? { apiGroup: r.apiGroup, kind: r.kind, name: r.name } : {};
  return {
    version: spec?.version ?? "",
    failureDomain: spec?.failureDomain ?? "",
    infrastructureRef: ref(spec?.infrastructureRef),
    bootstrap: ref(spec?.bootstrap?.configRef),
  };
}

function replicasOf(object: KubeObject): number {
  return Number((object.spec as Spec | undefined)?.replicas ?? 0);
}

function selectorText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
}

function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata?.creationTimestamp ?? "";
  const tb = b.metadata?.creationTimestamp ?? "";
  return ta < tb ? -1 : ta > tb ? 1 : (a.metadata?.name ?? "") < (b.metadata?.name ?? "") ? -1 : 1;
}

/** Plays the MachineDeployment controller for every deployment of the cluster. */
export async function syncWorkers(objects: ClusterObjects): Promise<Replicas> {
  const { client, namespace, cluster } = objects;
  const mdRef = await client.resourceFor(CAPI_V1BETA2, "MachineDeployment");
  const deployments = (await client.list<KubeObject>(mdRef, {
    namespace,
    labelSelector: `${CLUSTER_LABEL}=${cluster}`,
  })).items;
  let total = 0;
  const versions = new Set<string>();
  for (const md of deployments) {
    if (md.metadata?.deletionTimestamp) {
      await deleteDeployment(objects, md);
      continue;
    }
    const r = await syncDeployment(objects, md);
    total += r.desired;
    if (r.desired > 0 && r.version) versions.add(r.version);
  }
  // The lowest version any worker runs, as CAPI's summary reports the slowest.
  return { desired: total, version: [...versions].sort()[0] };
}

async function syncDeployment(objects: ClusterObjects, md: KubeObject): Promise<Replicas> {
  const { client, namespace, now } = objects;
  const name = md.metadata?.name ?? "";
  await ensureFinalizer(client, md, MACHINEDEPLOYMENT_FINALIZER);
  if (objects.capi) {
    await ensureClusterOwner(client, md, objects.capi);
    const spec = templateOf(md).spec;
    for (const ref of [spec?.infrastructureRef, spec?.bootstrap?.configRef]) {
      if (!ref?.kind?.endsWith("Template")) continue;
      const template = await getRef(client, ref, namespace);
      if (template) await ensureClusterOwner(client, template, objects.capi);
      if (template) await ensureTemplateSecrets(objects, template);
    }
  }
  const msRef = await client.resourceFor(CAPI_V1BETA2, "MachineSet");
  const sets = (await client.list<KubeObject>(msRef, {
    namespace,
    labelSelector: `${DEPLOYMENT_LABEL}=${name}`,
  })).items.filter((ms) =>
    !ms.metadata?.deletionTimestamp &&
    (ms.metadata?.ownerReferences ?? []).some((o) =>
      o.kind === "MachineDeployment" && o.name === name
    )
  ).sort(byCreation);
  const template = templateOf(md);
  const wanted = JSON.stringify(rolloutFields(template.spec));
  let current = sets.find((ms) => JSON.stringify(rolloutFields(templateOf(ms).spec)) === wanted);
  const olds = sets.filter((ms) => ms !== current);
  const desired = replicasOf(md);
  const revision = Math.max(
    0,
    ...sets.map((ms) => Number(ms.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0)),
  );
  if (!current) current = await createMachineSet(objects, md, revision + 1);

  const rolling = ((md.spec as Spec | undefined)?.rollout as Spec | undefined)?.strategy as
    | { rollingUpdate?: { maxSurge?: number | string } }
    | undefined;
  const surge = Number(rolling?.rollingUpdate?.maxSurge ?? 1) || 1;
  const oldTotal = olds.reduce((n, ms) => n + replicasOf(ms), 0);
  let next = desired;
  if (oldTotal > 0) {
    // Rolling: grow the new set within desired + maxSurge.
    const room = Math.max(0, desired + surge - oldTotal - replicasOf(current));
    next = Math.min(desired, replicasOf(current) + room);
  }
  current = await scaleSet(objects, current, next, true);
  // The new set's machines are available at once; shrink the old sets by as much.
  let excess = oldTotal + replicasOf(current) - desired;
  for (const ms of olds) {
    const cut = Math.min(excess, replicasOf(ms));
    excess -= cut;
    const scaled = await scaleSet(objects, ms, replicasOf(ms) - cut, false);
    if (replicasOf(scaled) === 0) {
      // cleanupDeployment: an old set at zero goes (its machines are gone already).
      await forceDelete(client, CAPI_V1BETA2, "MachineSet", ms.metadata?.name ?? "", namespace);
    }
  }
  const version = template.spec?.version;
  const selector = selectorText({
    ...(((md.spec as Spec | undefined)?.selector as { matchLabels?: Record<string, string> })
      ?.matchLabels ?? {}),
  });
  const mdRef = await client.resourceFor(CAPI_V1BETA2, "MachineDeployment");
  await client.patch(mdRef, name, {
    metadata: { annotations: { [REVISION_ANNOTATION]: currentRevision(current) } },
  }, { namespace });
  await client.patchStatus(mdRef, name, namespace, {
    status: machineDeploymentStatus(
      { desired, version, generation: md.metadata?.generation, selector },
      now,
    ),
  });
  return { desired, version };
}

/** A deleted MachineDeployment: its MachineSets and Machines go, then its finalizer. */
async function deleteDeployment(objects: ClusterObjects, md: KubeObject): Promise<void> {
  const { client, namespace } = objects;
  const name = md.metadata?.name ?? "";
  const msRef = await client.resourceFor(CAPI_V1BETA2, "MachineSet");
  const sets = (await client.list<KubeObject>(msRef, {
    namespace,
    labelSelector: `${DEPLOYMENT_LABEL}=${name}`,
  })).items;
  for (const ms of sets) {
    await scaleSet(objects, ms, 0, false);
    await forceDelete(client, CAPI_V1BETA2, "MachineSet", ms.metadata?.name ?? "", namespace);
  }
  await forceDelete(client, CAPI_V1BETA2, "MachineDeployment", name, namespace);
}

function currentRevision(ms: KubeObject): string {
  return ms.metadata?.annotations?.[REVISION_ANNOTATION] ?? "1";
}

async function createMachineSet(
  objects: ClusterObjects,
  md: KubeObject,
  revision: number,
): Promise<KubeObject> {
  const { client, namespace, cluster } = objects;
  const mdName = md.metadata?.name ?? "";
  const template = templateOf(md);
  const suffix = randomSuffix();
  const hashLabel = `${
    parseInt(contentHash(rolloutFields(template.spec)).slice(0, 8), 16)
  }-${suffix}`;
  const labels = {
    ...template.metadata?.labels,
    [TEMPLATE_HASH_LABEL]: hashLabel,
    [DEPLOYMENT_LABEL]: mdName,
    [CLUSTER_LABEL]: cluster,
  };
  const selector = ((md.spec as Spec | undefined)?.selector ?? {}) as {
    matchLabels?: Record<string, string>;
  };
  return await client.create<KubeObject>({
    apiVersion: CAPI_V1BETA2,
    kind: "MachineSet",
    metadata: {
      name: `${mdName}-${suffix}`,
      namespace,
      labels,
      annotations: { [REVISION_ANNOTATION]: String(revision) },
      ownerReferences: [controllerRef(md)],
      finalizers: [MACHINESET_FINALIZER],
    },
    spec: {
      clusterName: cluster,
      replicas: 0,
      selector: {
        matchLabels: {
          ...selector.matchLabels,
          [TEMPLATE_HASH_LABEL]: hashLabel,
          [CLUSTER_LABEL]: cluster,
        },
      },
      template: {
        metadata: {
          labels: { ...template.metadata?.labels, [TEMPLATE_HASH_LABEL]: hashLabel },
          ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        },
        spec: structuredClone(template.spec ?? {}),
      },
    },
  });
}

/** Sets a MachineSet's replicas and plays its controller; returns the updated set. */
async function scaleSet(
  objects: ClusterObjects,
  ms: KubeObject,
  replicas: number,
  upToDate: boolean,
): Promise<KubeObject> {
  const { client, namespace, now } = objects;
  const name = ms.metadata?.name ?? "";
  const msRef = await client.resourceFor(CAPI_V1BETA2, "MachineSet");
  let set = ms;
  if (replicasOf(ms) !== replicas) {
    set = await client.patch<KubeObject>(msRef, name, { spec: { replicas } }, { namespace });
  }
  const machineRef = await client.resourceFor(CAPI_V1BETA2, "Machine");
  const machines = (await client.list<KubeObject>(machineRef, {
    namespace,
    labelSelector: `${SET_LABEL}=${name}`,
  })).items.sort(byCreation);
  for (const gone of machines.filter((m) => m.metadata?.deletionTimestamp)) {
    await deleteMachine(objects, gone);
  }
  const live = machines.filter((m) => !m.metadata?.deletionTimestamp);
  // Scale down: the newest machines go first (the simulator's choice for "Random").
  for (const extra of live.slice(replicas).reverse()) await deleteMachine(objects, extra);
  for (const kept of live.slice(0, replicas)) await settleMachine(objects, kept, "worker");
  const template = templateOf(set);
  const spec = template.spec ?? {};
  const labels = {
    ...template.metadata?.labels,
    [SET_LABEL]: name,
    [DEPLOYMENT_LABEL]: set.metadata?.labels?.[DEPLOYMENT_LABEL] ?? "",
  };
  for (let i = live.length; i < replicas; i++) {
    const { infrastructureRef, bootstrap, version, ...rest } = spec;
    if (!infrastructureRef) throw new Error(`MachineSet ${name} has no infrastructureRef`);
    await createMachine(objects, {
      name: `${name}-${randomSuffix()}`,
      owner: set,
      labels,
      annotations: template.metadata?.annotations,
      version: version ?? "",
      role: "worker",
      infraTemplate: infrastructureRef,
      bootstrap: bootstrap?.configRef
        ? { template: bootstrap.configRef }
        : { config: { apiGroup: "bootstrap.cluster.x-k8s.io", kind: "KubeadmConfig", spec: {} } },
      spec: rest,
    });
  }
  if (!set.metadata?.deletionTimestamp) await ensureFinalizer(client, set, MACHINESET_FINALIZER);
  const selector = selectorText(
    (((set.spec as Spec | undefined)?.selector as { matchLabels?: Record<string, string> })
      ?.matchLabels) ?? {},
  );
  await client.patchStatus(msRef, name, namespace, {
    status: machineSetStatus(
      { desired: replicas, generation: set.metadata?.generation, selector, upToDate },
      now,
    ),
  });
  return set;
}
