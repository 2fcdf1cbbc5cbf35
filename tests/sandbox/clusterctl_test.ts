/**
 * What the sandbox leaves in place of `clusterctl init`: provider names, namespaces and
 * contract labels by CRD; and the simulator's pure status documents.
 */
import assert from "node:assert/strict";
import {
  contractLabels,
  falseCondition,
  infraMachineStatus,
  machineSetStatus,
  providerOf,
  providerOfGroup,
} from "../../lib/sandbox/mod.ts";

Deno.test("providerOf names each CRD's clusterctl provider and namespace", () => {
  const cases: [string, string, string | undefined, string | undefined][] = [
    ["cluster.x-k8s.io", "Machine", "cluster-api", "capi-system"],
    ["addons.cluster.x-k8s.io", "ClusterResourceSet", "cluster-api", "capi-system"],
    [
      "bootstrap.cluster.x-k8s.io",
      "KubeadmConfig",
      "bootstrap-kubeadm",
      "capi-kubeadm-bootstrap-system",
    ],
    ["bootstrap.cluster.x-k8s.io", "RKE2Config", "bootstrap-rke2", "rke2-bootstrap-system"],
    [
      "controlplane.cluster.x-k8s.io",
      "RKE2ControlPlane",
      "control-plane-rke2",
      "rke2-control-plane-system",
    ],
    ["infrastructure.cluster.x-k8s.io", "DevMachine", "infrastructure-docker", "capd-system"],
    ["infrastructure.cluster.x-k8s.io", "AWSMachine", "infrastructure-aws", "capa-system"],
    [
      "infrastructure.cluster.x-k8s.io",
      "OpenStackCluster",
      "infrastructure-openstack",
      "capo-system",
    ],
    ["clusterctl.cluster.x-k8s.io", "Provider", undefined, undefined],
    ["cilium.io", "CiliumLoadBalancerIPPool", undefined, undefined],
  ];
  for (const [group, kind, label, namespace] of cases) {
    const p = providerOf(group, kind);
    assert.equal(p?.label, label, `${kind}.${group}`);
    assert.equal(p?.namespace, namespace, `${kind}.${group}`);
  }
  assert.equal(providerOfGroup("controlplane.cluster.x-k8s.io"), "control-plane-kubeadm");
});

Deno.test("contractLabels map contract v1beta2 to the storage version", () => {
  const crd = (versions: { name: string; served?: boolean; storage?: boolean }[]) => ({
    spec: { versions },
  });
  assert.deepEqual(
    contractLabels(crd([{ name: "v1beta1", served: true }, { name: "v1beta2", storage: true }])),
    { "cluster.x-k8s.io/v1beta2": "v1beta2", "cluster.x-k8s.io/v1beta1": "v1beta1" },
  );
  assert.deepEqual(contractLabels(crd([{ name: "v1alpha1", storage: true }])), {
    "cluster.x-k8s.io/v1beta2": "v1alpha1",
  });
  assert.deepEqual(contractLabels(crd([])), {});
});

Deno.test("status documents carry v1beta2 conditions; other providers' say they are simulated", () => {
  const now = new Date("2026-01-01T00:00:00.123Z");
  const set = machineSetStatus({ desired: 3, selector: "a=b", upToDate: false }, now);
  assert.equal(set.replicas, 3);
  assert.equal(set.upToDateReplicas, 0);
  const conditions = set.conditions as { type: string; status: string }[];
  assert.equal(conditions.find((c) => c.type === "MachinesUpToDate")?.status, "False");
  assert.deepEqual(falseCondition("Paused", "NotPaused", now), {
    type: "Paused",
    status: "False",
    reason: "NotPaused",
    message: "",
    lastTransitionTime: "2026-01-01T00:00:00Z",
  });
  const docker = infraMachineStatus("m", now) as { conditions: { message?: string }[] };
  assert.equal(docker.conditions.length, 3);
  const aws = infraMachineStatus("m", now, "AWSMachine") as { conditions: object[] };
  assert.deepEqual(aws.conditions, [{
    type: "Ready",
    status: "True",
    reason: "Ready",
    message: "simulated by the Lattice sandbox",
    lastTransitionTime: "2026-01-01T00:00:00Z",
  }]);
});
