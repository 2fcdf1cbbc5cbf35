import assert from "node:assert/strict";
import { generateCapiObjects } from "../../../lib/capi/mod.ts";
import { type ClusterObject, planTemplates } from "../../../lib/controllers/cluster/mod.ts";
import { providerCluster, testBootstrap } from "../../capi/fixtures.ts";

function current(cluster: ClusterObject) {
  const m = generateCapiObjects(cluster, testBootstrap());
  return { cp: m.controlPlane, md: m.machineDeployment, m };
}

Deno.test("no template change for scaling or upgrades", () => {
  const cluster = providerCluster("aws") as ClusterObject;
  const { cp, md } = current(cluster);
  const scaled = providerCluster("aws", { workers: 9, version: "1.32.0" }) as ClusterObject;
  const plan = planTemplates(scaled, cp, md);
  assert.deepEqual(plan.create, []);
  assert.equal(plan.wanted.length, 3);
});

Deno.test("a worker machine change creates a new worker template only", () => {
  const { cp, md, m } = current(providerCluster("aws") as ClusterObject);
  const changed = providerCluster("aws") as ClusterObject;
  changed.spec.provider.config.aws!.workerInstanceType = "m6i.2xlarge";
  const plan = planTemplates(changed, cp, md);
  assert.equal(plan.controlPlaneInfra, undefined);
  assert.equal(plan.workerBootstrap, undefined);
  assert.equal(plan.create.length, 1);
  assert.equal(plan.create[0].kind, "AWSMachineTemplate");
  assert.notEqual(plan.workerInfra?.name, m.workerTemplate.metadata.name);
  assert.deepEqual(plan.workerInfra, {
    apiGroup: "infrastructure.cluster.x-k8s.io",
    kind: "AWSMachineTemplate",
    name: plan.create[0].metadata.name,
  });
});

Deno.test("azure: a worker change also renames the bootstrap template (azure.json)", () => {
  const { cp, md } = current(providerCluster("azure") as ClusterObject);
  const changed = providerCluster("azure") as ClusterObject;
  changed.spec.provider.config.azure!.workerVmSize = "Standard_D16s_v5";
  const plan = planTemplates(changed, cp, md);
  assert.deepEqual(plan.create.map((o) => o.kind), [
    "AzureMachineTemplate",
    "KubeadmConfigTemplate",
  ]);
});
