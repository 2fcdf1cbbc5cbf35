/**
 * Self mode of the LatticeCluster controller on a real kube-apiserver with the real CAPI
 * CRDs: scaling sets replicas, an upgrade moves the control plane first and the workers
 * only once it is done, a machine change rolls through new content-hashed templates, and
 * a downgrade is refused with a condition.
 */
import assert from "node:assert/strict";
import {
  capiNamespace,
  CLUSTER,
  generateCapiObjects,
  KUBEADM_CONTROL_PLANE,
  MACHINE_DEPLOYMENT,
} from "../../lib/capi/mod.ts";
import {
  type ClusterObject,
  ClusterReconciler,
  LATTICE_CLUSTER_REF,
} from "../../lib/controllers/cluster/mod.ts";
import { KubeClient } from "../../lib/kube/mod.ts";
import { TEST_CA_PEM } from "../capi/fixtures.ts";
import {
  at,
  clusterDoc,
  condition,
  CRDS,
  getObject,
  mustGetCluster,
  setStatus,
} from "./_cluster_helpers.ts";
import { withControlPlane } from "./_plane.ts";

Deno.test("self mode on a real control plane", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    try {
      await t.step("self mode: scale and upgrade (control plane first, then workers)", async () => {
        const self = new ClusterReconciler(client, { selfName: "root" });
        await client.create(clusterDoc("root", { controlPlane: 3, workers: 2 }));
        // The pivot would bring these; here they are applied directly.
        const manifests = generateCapiObjects(
          (await mustGetCluster(client, "root")) as ClusterObject,
          { cellUrl: "https://parent:8443", caBundlePem: TEST_CA_PEM, tokenSecretName: "t" },
        );
        for (const obj of manifests.objects) await client.apply(obj);
        const ns = capiNamespace("root");
        const kcp = () =>
          getObject(
            client,
            KUBEADM_CONTROL_PLANE.apiVersion,
            "KubeadmControlPlane",
            "root-control-plane",
            ns,
          );
        const md = () =>
          getObject(client, MACHINE_DEPLOYMENT.apiVersion, "MachineDeployment", "root-md-0", ns);
        const kcpAt = async (version: string) => {
          const cp = await kcp();
          await setStatus(
            client,
            KUBEADM_CONTROL_PLANE.apiVersion,
            "KubeadmControlPlane",
            "root-control-plane",
            ns,
            {
              observedGeneration: at(cp, "metadata", "generation"),
              version,
              replicas: 3,
              readyReplicas: 3,
              upToDateReplicas: 3,
            },
          );
        };
        await setStatus(client, CLUSTER.apiVersion, "Cluster", "root", ns, {
          initialization: { controlPlaneInitialized: true },
          controlPlane: { replicas: 3, readyReplicas: 3 },
          workers: { replicas: 2, readyReplicas: 2 },
        });
        await kcpAt("v1.31.0");
        await self.reconcile(await mustGetCluster(client, "root"));
        let lc = await mustGetCluster(client, "root");
        assert.equal(lc.status?.phase, "Ready");
        assert.equal(lc.status?.nodes?.summary, "5/5");
        assert.equal(lc.status?.kubernetesVersion, "1.31.0");

        await client.patch(LATTICE_CLUSTER_REF, "root", { spec: { nodes: { workers: 7 } } });
        await self.reconcile(await mustGetCluster(client, "root"));
        assert.equal(at(await md(), "spec", "replicas"), 7);
        assert.equal(at(await kcp(), "spec", "replicas"), 3);

        await client.patch(LATTICE_CLUSTER_REF, "root", {
          spec: { provider: { kubernetes: { version: "1.32.0" } } },
        });
        await self.reconcile(await mustGetCluster(client, "root"));
        assert.equal(at(await kcp(), "spec", "version"), "v1.32.0");
        assert.equal(
          at(await md(), "spec", "template", "spec", "version"),
          "v1.31.0",
          "workers wait",
        );
        lc = await mustGetCluster(client, "root");
        assert.equal(condition(lc, "ControlPlaneUpToDate")?.status, "False");
        assert.equal(condition(lc, "WorkersUpToDate")?.reason, "WaitingForControlPlane");

        await kcpAt("v1.32.0");
        await self.reconcile(await mustGetCluster(client, "root"));
        assert.equal(at(await md(), "spec", "template", "spec", "version"), "v1.32.0");
        lc = await mustGetCluster(client, "root");
        assert.equal(lc.status?.kubernetesVersion, "1.32.0");
        assert.equal(condition(lc, "ControlPlaneUpToDate")?.status, "True");
        // The template and bootstrap fields the cell applied are untouched.
        assert.equal(
          at(await md(), "spec", "template", "spec", "infrastructureRef", "name"),
          manifests.workerTemplate.metadata.name,
        );

        // A machine change makes new content-hashed templates and moves the references.
        await client.patch(LATTICE_CLUSTER_REF, "root", {
          spec: { provider: { config: { docker: { customImage: "kindest/node:v1.32.0" } } } },
        });
        await self.reconcile(await mustGetCluster(client, "root"));
        const newWorkerTemplate = at(
          await md(),
          "spec",
          "template",
          "spec",
          "infrastructureRef",
          "name",
        ) as string;
        assert.notEqual(newWorkerTemplate, manifests.workerTemplate.metadata.name);
        const created = await getObject(
          client,
          manifests.workerTemplate.apiVersion,
          "DevMachineTemplate",
          newWorkerTemplate,
          ns,
        );
        assert.equal(
          at(created, "spec", "template", "spec", "backend", "docker", "customImage"),
          "kindest/node:v1.32.0",
        );
        const cpTemplate = at(
          await kcp(),
          "spec",
          "machineTemplate",
          "spec",
          "infrastructureRef",
          "name",
        );
        assert.notEqual(cpTemplate, manifests.controlPlaneTemplate.metadata.name);
        assert.ok(
          await getObject(
            client,
            manifests.workerTemplate.apiVersion,
            "DevMachineTemplate",
            manifests.workerTemplate.metadata.name,
            ns,
          ),
          "the old template stays for the rollout",
        );

        // Once the rollout is done, the superseded templates go (no MachineSet uses them).
        await setStatus(
          client,
          MACHINE_DEPLOYMENT.apiVersion,
          "MachineDeployment",
          "root-md-0",
          ns,
          {
            replicas: 7,
            readyReplicas: 7,
            upToDateReplicas: 7,
          },
        );
        await kcpAt("v1.32.0");
        await self.reconcile(await mustGetCluster(client, "root"));
        assert.equal(
          await getObject(
            client,
            manifests.workerTemplate.apiVersion,
            "DevMachineTemplate",
            manifests.workerTemplate.metadata.name,
            ns,
          ),
          undefined,
        );
        assert.ok(
          await getObject(
            client,
            manifests.workerTemplate.apiVersion,
            "DevMachineTemplate",
            newWorkerTemplate,
            ns,
          ),
        );
        lc = await mustGetCluster(client, "root");
        assert.equal(condition(lc, "WorkersUpToDate")?.status, "True");

        await client.patch(LATTICE_CLUSTER_REF, "root", {
          spec: { provider: { kubernetes: { version: "1.31.0" } } },
        });
        await self.reconcile(await mustGetCluster(client, "root"));
        lc = await mustGetCluster(client, "root");
        assert.equal(lc.status?.phase, "Failed");
        assert.equal(condition(lc, "SpecValid")?.reason, "VersionDowngrade");
        assert.equal(at(await kcp(), "spec", "version"), "v1.32.0", "no downgrade applied");
      });
    } finally {
      client.close();
    }
  }, { crds: CRDS });
});
