/**
 * The CAPI simulator's status documents: what Cluster API's controllers would write on
 * the objects they own once the (simulated) machines are up. Pure functions, so the
 * shapes are unit-tested without a control plane.
 *
 * Every field is from the v1beta2 contract of Cluster API v1.14; fields an older
 * provider's schema does not know are pruned by the apiserver.
 */

/** A metav1.Condition as CAPI writes it. */
export interface SimCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** A True condition with reason = type, stamped `now`. */
export function trueCondition(type: string, now: Date): SimCondition {
  return {
    type,
    status: "True",
    reason: type,
    message: "",
    lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}

/**
 * Conditions of an infrastructure provider's object: CAPD's (v1beta2) get Ready plus
 * Deleting/Paused as CAPD reports them. Other providers' schemas differ (Cluster API's
 * v1beta1 condition type refuses an empty message; metav1.Condition requires one), so they
 * get Ready with a message that says what it is.
 */
function providerConditions(kind: string, now: Date): SimCondition[] {
  if (/^(Docker|Dev)/.test(kind)) return [trueCondition("Ready", now), ...quiet(now)];
  return [{ ...trueCondition("Ready", now), message: "simulated by the Lattice sandbox" }];
}

/** Status of an infrastructure cluster (DockerCluster, AWSCluster, ...). */
export function infraClusterStatus(now: Date, kind = "DockerCluster"): Record<string, unknown> {
  return {
    initialization: { provisioned: true },
    ready: true,
    conditions: providerConditions(kind, now),
  };
}

/** Replica counts of a control plane or machine deployment whose machines are all up. */
export interface Replicas {
  desired: number;
  version?: string;
  /** metadata.generation of the object, reported as observedGeneration. */
  generation?: number;
}

/** The `versions` summary CAPI reports (omitted at zero replicas: the list needs ≥ 1). */
function versions(r: Replicas): Record<string, unknown> {
  return r.version && r.desired > 0
    ? { versions: [{ version: r.version, replicas: r.desired }] }
    : {};
}

function observed(r: Replicas): Record<string, unknown> {
  return r.generation === undefined ? {} : { observedGeneration: r.generation };
}

/** Status of a KubeadmControlPlane (or RKE2ControlPlane) whose machines are all up. */
export function controlPlaneStatus(r: Replicas, now: Date): Record<string, unknown> {
  return {
    initialization: { controlPlaneInitialized: true },
    initialized: true,
    ready: true,
    replicas: r.desired,
    readyReplicas: r.desired,
    availableReplicas: r.desired,
    upToDateReplicas: r.desired,
    ...(r.version ? { version: r.version } : {}),
    ...versions(r),
    ...observed(r),
    conditions: [
      trueCondition("Available", now),
      trueCondition("Initialized", now),
      trueCondition("CertificatesAvailable", now),
      trueCondition("EtcdClusterHealthy", now),
      trueCondition("ControlPlaneComponentsHealthy", now),
      trueCondition("MachinesReady", now),
      trueCondition("MachinesUpToDate", now),
      falseCondition("RollingOut", "NotRollingOut", now),
      ...steady(now),
    ],
  };
}

/** A False condition (Deleting, Paused, ScalingUp, ... when nothing is going on). */
export function falseCondition(type: string, reason: string, now: Date): SimCondition {
  return { ...trueCondition(type, now), status: "False", reason };
}

/** The conditions every v1beta2 object reports while it is neither deleting nor paused. */
function quiet(now: Date): SimCondition[] {
  return [
    falseCondition("Deleting", "NotDeleting", now),
    falseCondition("Paused", "NotPaused", now),
  ];
}

/** The conditions of a replica owner with nothing in motion: not scaling, not remediating. */
function steady(now: Date): SimCondition[] {
  return [
    falseCondition("ScalingUp", "NotScalingUp", now),
    falseCondition("ScalingDown", "NotScalingDown", now),
    falseCondition("Remediating", "NotRemediating", now),
    ...quiet(now),
  ];
}

/** Replica counts of a MachineDeployment or MachineSet whose machines are all up. */
function replicaStatus(r: Replicas): Record<string, unknown> {
  return {
    replicas: r.desired,
    readyReplicas: r.desired,
    availableReplicas: r.desired,
    upToDateReplicas: r.desired,
    ...observed(r),
  };
}

/** Status of a MachineDeployment whose machines are all up. */
export function machineDeploymentStatus(
  r: Replicas & { selector?: string },
  now: Date,
): Record<string, unknown> {
  return {
    phase: "Running",
    ...replicaStatus(r),
    ...(r.selector ? { selector: r.selector } : {}),
    conditions: [
      trueCondition("Available", now),
      trueCondition("MachinesReady", now),
      trueCondition("MachinesUpToDate", now),
      falseCondition("RollingOut", "NotRollingOut", now),
      ...steady(now),
    ],
  };
}

/** Status of a MachineSet whose machines are all up. */
export function machineSetStatus(
  r: Replicas & { selector: string; upToDate: boolean },
  now: Date,
): Record<string, unknown> {
  return {
    ...replicaStatus(r),
    upToDateReplicas: r.upToDate ? r.desired : 0,
    selector: r.selector,
    conditions: [
      trueCondition("MachinesReady", now),
      r.upToDate
        ? trueCondition("MachinesUpToDate", now)
        : falseCondition("MachinesUpToDate", "NotUpToDate", now),
      ...steady(now),
    ],
  };
}

/** Status of a Machine whose node joined. */
export function machineStatus(nodeName: string, now: Date): Record<string, unknown> {
  return {
    phase: "Running",
    initialization: { bootstrapDataSecretCreated: true, infrastructureProvisioned: true },
    nodeRef: { name: nodeName },
    conditions: [
      trueCondition("Available", now),
      trueCondition("Ready", now),
      trueCondition("UpToDate", now),
      trueCondition("BootstrapConfigReady", now),
      trueCondition("InfrastructureReady", now),
      trueCondition("NodeReady", now),
      trueCondition("NodeHealthy", now),
      ...quiet(now),
    ],
  };
}

/** Status of a KubeadmConfig / RKE2Config whose bootstrap data Secret is written. */
export function bootstrapConfigStatus(
  secretName: string,
  generation: number | undefined,
  now: Date,
): Record<string, unknown> {
  return {
    dataSecretName: secretName,
    initialization: { dataSecretCreated: true },
    ready: true,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: [
      trueCondition("Ready", now),
      trueCondition("DataSecretAvailable", now),
      trueCondition("CertificatesAvailable", now),
      ...quiet(now),
    ],
  };
}

/** Status of an infrastructure machine (DockerMachine, AWSMachine, ...) that is provisioned. */
export function infraMachineStatus(
  name: string,
  now: Date,
  kind = "DockerMachine",
): Record<string, unknown> {
  return {
    initialization: { provisioned: true },
    ready: true,
    addresses: [{ type: "Hostname", address: name }],
    conditions: providerConditions(kind, now),
  };
}

/** Status of a Cluster whose infrastructure and control plane are up. */
export function clusterStatus(
  counts: { controlPlane: Replicas; workers: Replicas; generation?: number },
  now: Date,
): Record<string, unknown> {
  const replicas = (r: Replicas) => ({
    desiredReplicas: r.desired,
    replicas: r.desired,
    readyReplicas: r.desired,
    availableReplicas: r.desired,
    upToDateReplicas: r.desired,
    ...versions(r),
  });
  return {
    phase: "Provisioned",
    ...(counts.generation === undefined ? {} : { observedGeneration: counts.generation }),
    initialization: { infrastructureProvisioned: true, controlPlaneInitialized: true },
    controlPlane: replicas(counts.controlPlane),
    workers: replicas(counts.workers),
    conditions: [
      trueCondition("Available", now),
      trueCondition("InfrastructureReady", now),
      trueCondition("ControlPlaneInitialized", now),
      trueCondition("ControlPlaneAvailable", now),
      trueCondition("WorkersAvailable", now),
      trueCondition("RemoteConnectionProbe", now),
      trueCondition("MachinesReady", now),
      trueCondition("MachinesUpToDate", now),
      falseCondition("RollingOut", "NotRollingOut", now),
      ...steady(now),
    ],
  };
}

/** A Node marked Ready, as the simulated kubelet registers it. */
export function readyNode(
  name: string,
  options: { role: "control-plane" | "worker"; version: string; cluster: string; now: Date },
): { object: Record<string, unknown>; status: Record<string, unknown> } {
  const version = options.version.startsWith("v") ? options.version : `v${options.version}`;
  const labels: Record<string, string> = {
    "kubernetes.io/hostname": name,
    "sandbox.lattice.dev/simulated": "true",
    "cluster.x-k8s.io/cluster-name": options.cluster,
  };
  if (options.role === "control-plane") labels["node-role.kubernetes.io/control-plane"] = "";
  const stamp = options.now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    object: { apiVersion: "v1", kind: "Node", metadata: { name, labels } },
    status: {
      conditions: [{
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        message: "simulated kubelet is posting ready status (Lattice sandbox)",
        lastHeartbeatTime: stamp,
        lastTransitionTime: stamp,
      }],
      nodeInfo: {
        kubeletVersion: version,
        kubeProxyVersion: version,
        architecture: "amd64",
        operatingSystem: "linux",
        osImage: "Lattice sandbox (simulated machine)",
        kernelVersion: "",
        containerRuntimeVersion: "",
        machineID: "",
        systemUUID: "",
        bootID: "",
      },
    },
  };
}
