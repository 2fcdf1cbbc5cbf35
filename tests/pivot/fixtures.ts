/**
 * Cluster API object sets (kubeadm control plane + Docker infrastructure, the v1beta2 kinds
 * of Cluster API v1.14) with their owner graph, for the pivot tests and bench. The graph is
 * the one the CAPI simulator leaves, which follows the real v1.14 controllers (checked in
 * tests/integration/capi_simulator_graph_test.ts: same kinds, owners, controller flags,
 * finalizers and Secret types). Objects carry no uid; owners are named by key and resolved
 * by the caller (fake UIDs in unit tests, real ones when created in an apiserver).
 */
import type { KubeObject } from "../../lib/kube/types.ts";

/** One object and the keys of its owners. */
export interface FixtureObject {
  /** `Kind/name`, unique within a fixture. */
  key: string;
  object: KubeObject;
  owners: { key: string; controller?: boolean }[];
}

/** Options for {@linkcode clusterFixture}. */
export interface ClusterFixtureOptions {
  controlPlanes?: number;
  workers?: number;
  /**
   * Also a MachineHealthCheck (owned by the Cluster) and a ConfigMap soft-owned by name and
   * label, which the graph tests use; the simulator's graph has neither.
   */
  extras?: boolean;
}

const CAPI = "cluster.x-k8s.io/v1beta2";
const INFRA = "infrastructure.cluster.x-k8s.io/v1beta2";
const BOOT = "bootstrap.cluster.x-k8s.io/v1beta2";
const CP = "controlplane.cluster.x-k8s.io/v1beta2";
const CONDITION = {
  type: "Ready",
  status: "True",
  reason: "Ready",
  message: "",
  lastTransitionTime: "2026-01-01T00:00:00Z",
};

/**
 * A provisioned cluster as Cluster API v1.14 leaves it: 13 objects (Cluster, DevCluster,
 * KubeadmControlPlane and its DevMachineTemplate, MachineDeployment with its templates
 * and one MachineSet, the ca/etcd/sa/proxy/kubeconfig Secrets) plus 4 per Machine (Machine,
 * KubeadmConfig, DevMachine, bootstrap-data Secret). 1 control plane + 2 workers = 25.
 */
export function clusterFixture(
  name: string,
  namespace: string,
  options: ClusterFixtureOptions = {},
): FixtureObject[] {
  const out: FixtureObject[] = [];
  const add = (object: KubeObject, owners: FixtureObject["owners"] = []) => {
    object.metadata = { namespace, ...object.metadata };
    out.push({ key: `${object.kind}/${object.metadata.name}`, object, owners });
  };
  const labels = { "cluster.x-k8s.io/cluster-name": name };
  const cluster = { key: `Cluster/${name}` };
  const kcpName = `${name}-control-plane`;
  const kcp = { key: `KubeadmControlPlane/${kcpName}`, controller: true };
  add({
    apiVersion: CAPI,
    kind: "Cluster",
    metadata: {
      name,
      labels: { "lattice.dev/cluster": name },
      finalizers: ["cluster.cluster.x-k8s.io"],
    },
    spec: {
      controlPlaneRef: {
        apiGroup: "controlplane.cluster.x-k8s.io",
        kind: "KubeadmControlPlane",
        name: kcpName,
      },
      infrastructureRef: {
        apiGroup: "infrastructure.cluster.x-k8s.io",
        kind: "DevCluster",
        name,
      },
    },
    status: {
      phase: "Provisioned",
      initialization: { infrastructureProvisioned: true, controlPlaneInitialized: true },
      conditions: [CONDITION],
    },
  });
  add({
    apiVersion: INFRA,
    kind: "DevCluster",
    // CAPD v1.14 keeps the Docker kinds' finalizer names on the Dev kinds.
    metadata: { name, labels, finalizers: ["dockercluster.infrastructure.cluster.x-k8s.io"] },
    spec: { backend: { docker: {} } },
    status: { initialization: { provisioned: true } },
  }, [cluster]);
  add({
    apiVersion: INFRA,
    kind: "DevMachineTemplate",
    metadata: { name: kcpName, labels },
    spec: { template: { spec: { backend: { docker: { customImage: "kindest/node:v1.31.0" } } } } },
  }, [cluster]);
  add({
    apiVersion: CP,
    kind: "KubeadmControlPlane",
    metadata: { name: kcpName, labels, finalizers: ["kubeadm.controlplane.cluster.x-k8s.io"] },
    spec: {
      version: "v1.31.0",
      replicas: options.controlPlanes ?? 1,
      machineTemplate: {
        spec: {
          infrastructureRef: {
            apiGroup: "infrastructure.cluster.x-k8s.io",
            kind: "DevMachineTemplate",
            name: kcpName,
          },
        },
      },
    },
  }, [cluster]);
  for (const purpose of ["ca", "etcd", "sa", "proxy", "kubeconfig"]) {
    add({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${name}-${purpose}`, labels },
      type: "cluster.x-k8s.io/secret",
      data: { value: btoa(`${purpose} of ${name}`) },
    }, [kcp]);
  }
  if (options.extras) {
    add({
      apiVersion: CAPI,
      kind: "MachineHealthCheck",
      metadata: { name: `${name}-unhealthy`, labels },
      spec: { clusterName: name, selector: { matchLabels: labels } },
    }, [cluster]);
    // Soft-owned: no ownerReferences; belongs to the Cluster by label / by name.
    add({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${name}-cni`, labels },
      data: { cni: "cilium" },
    });
  }

  const md = `${name}-md-0`;
  add({
    apiVersion: INFRA,
    kind: "DevMachineTemplate",
    metadata: { name: md, labels },
    spec: { template: { spec: { backend: { docker: {} } } } },
  }, [cluster]);
  add({
    apiVersion: BOOT,
    kind: "KubeadmConfigTemplate",
    metadata: { name: md, labels },
    spec: { template: { spec: { format: "cloud-config" } } },
  }, [cluster]);
  const template = {
    spec: {
      clusterName: name,
      version: "v1.31.0",
      bootstrap: {
        configRef: {
          apiGroup: "bootstrap.cluster.x-k8s.io",
          kind: "KubeadmConfigTemplate",
          name: md,
        },
      },
      infrastructureRef: {
        apiGroup: "infrastructure.cluster.x-k8s.io",
        kind: "DevMachineTemplate",
        name: md,
      },
    },
  };
  add({
    apiVersion: CAPI,
    kind: "MachineDeployment",
    metadata: { name: md, labels, finalizers: ["cluster.x-k8s.io/machinedeployment"] },
    spec: {
      clusterName: name,
      replicas: options.workers ?? 2,
      selector: { matchLabels: labels },
      template,
    },
  }, [cluster]);
  const ms = `${md}-x7k2p`;
  const setLabels = {
    ...labels,
    "cluster.x-k8s.io/deployment-name": md,
    "machine-template-hash": "1234567890-x7k2p",
  };
  add({
    apiVersion: CAPI,
    kind: "MachineSet",
    metadata: {
      name: ms,
      labels: setLabels,
      annotations: { "machinedeployment.clusters.x-k8s.io/revision": "1" },
      finalizers: ["cluster.x-k8s.io/machineset"],
    },
    spec: {
      clusterName: name,
      replicas: options.workers ?? 2,
      selector: { matchLabels: setLabels },
      template,
    },
  }, [{ key: `MachineDeployment/${md}`, controller: true }]);

  const machine = (machineName: string, owner: string, machineLabels: Record<string, string>) => {
    const m = { key: `Machine/${machineName}`, controller: true };
    add({
      apiVersion: CAPI,
      kind: "Machine",
      metadata: {
        name: machineName,
        labels: { ...labels, ...machineLabels },
        finalizers: ["machine.cluster.x-k8s.io"],
      },
      spec: {
        clusterName: name,
        version: "v1.31.0",
        bootstrap: {
          configRef: {
            apiGroup: "bootstrap.cluster.x-k8s.io",
            kind: "KubeadmConfig",
            name: machineName,
          },
          dataSecretName: machineName,
        },
        infrastructureRef: {
          apiGroup: "infrastructure.cluster.x-k8s.io",
          kind: "DevMachine",
          name: machineName,
        },
      },
      status: { phase: "Running", nodeRef: { name: machineName } },
    }, [{ key: owner, controller: true }]);
    // The Machine controller replaced the creator's reference by its own.
    add({
      apiVersion: BOOT,
      kind: "KubeadmConfig",
      metadata: { name: machineName, labels: { ...labels, ...machineLabels } },
      spec: { format: "cloud-config" },
      status: { dataSecretName: machineName, initialization: { dataSecretCreated: true } },
    }, [m]);
    add({
      apiVersion: INFRA,
      kind: "DevMachine",
      metadata: {
        name: machineName,
        labels: { ...labels, ...machineLabels },
        finalizers: ["dockermachine.infrastructure.cluster.x-k8s.io"],
      },
      spec: { providerID: `docker:////${machineName}`, backend: { docker: {} } },
      status: { initialization: { provisioned: true } },
    }, [m]);
    add({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: machineName, labels },
      type: "cluster.x-k8s.io/secret",
      data: { value: btoa(`cloud-init for ${machineName}`), format: btoa("cloud-config") },
    }, [{ key: `KubeadmConfig/${machineName}`, controller: true }]);
  };
  const cpLabels = {
    "cluster.x-k8s.io/control-plane": "",
    "cluster.x-k8s.io/control-plane-name": kcpName,
  };
  const workerLabels = { ...setLabels, "cluster.x-k8s.io/set-name": ms };
  for (let i = 0; i < (options.controlPlanes ?? 1); i++) {
    machine(`${kcpName}-${suffix(i)}`, kcp.key, cpLabels);
  }
  for (let i = 0; i < (options.workers ?? 2); i++) {
    machine(`${ms}-${suffix(i)}`, `MachineSet/${ms}`, workerLabels);
  }
  return out;
}

/** A five-character name suffix, distinct for each index (like CAPI's random ones). */
function suffix(i: number): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let out = "";
  for (let n = i, k = 0; k < 5; k++, n = Math.floor(n / alphabet.length)) {
    out = alphabet[n % alphabet.length] + out;
  }
  return out;
}

/** Assigns fake UIDs (`uid:<key>`) and ownerReferences: the input of the pure graph tests. */
export function withFakeUids(fixture: readonly FixtureObject[]): KubeObject[] {
  const byKey = new Map(fixture.map((f) => [f.key, f]));
  return fixture.map((f) => {
    const object = structuredClone(f.object);
    object.metadata!.uid = `uid:${f.key}`;
    if (f.owners.length) {
      object.metadata!.ownerReferences = f.owners.map((o) => {
        const owner = byKey.get(o.key);
        if (!owner) throw new Error(`Cannot link fixture: no owner ${o.key}`);
        return {
          apiVersion: owner.object.apiVersion!,
          kind: owner.object.kind!,
          name: owner.object.metadata!.name!,
          uid: `uid:${o.key}`,
          ...(o.controller ? { controller: true, blockOwnerDeletion: true } : {}),
        };
      });
    }
    return object;
  });
}
