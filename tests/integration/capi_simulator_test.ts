/**
 * The CAPI simulator on real control planes: a docker LatticeCluster's generated objects
 * become a real child control plane with Ready nodes, a kubeconfig Secret, CAPI statuses,
 * and post-bootstrap commands run on the simulated machine; scaling and upgrades follow.
 */
import assert from "node:assert/strict";
import { LatticeClusterSchema } from "../../lib/api/mod.ts";
import { generateCapiObjects } from "../../lib/capi/mod.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { CapiSimulator, CLUSTER_API_CRD_SETS } from "../../lib/sandbox/mod.ts";
import { withControlPlane } from "./_plane.ts";
import { until } from "../_until.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";

Deno.test("CAPI simulator plays a docker cluster on a real child plane", async (t) => {
  await withControlPlane(t, async (plane) => {
    const mgmt = KubeClient.fromKubeconfig(plane.kubeconfig);
    const sim = new CapiSimulator({ intervalMs: 100 });
    try {
      const doc = minimalClusterDocument("sim-one");
      doc.spec.nodes = { controlPlane: 1, workers: 2 };
      const cluster = LatticeClusterSchema.parse(doc);
      const manifests = generateCapiObjects(cluster, {
        cellUrl: "https://localhost:1",
        caBundlePem: "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n",
        tokenSecretName: "sim-one-bootstrap-token",
      });
      const kcp = manifests.controlPlane as unknown as {
        metadata: { name: string };
        spec: Record<string, never>;
      };
      // The generated commands would download lattice from a cell; this test has none, so
      // the simulated machine proves it ran kubeadm's files and commands instead.
      (kcp.spec.kubeadmConfigSpec as { postKubeadmCommands: string[] }).postKubeadmCommands = [
        "cp /etc/lattice/token /etc/lattice/token.seen",
        "test -s /etc/kubernetes/admin.conf",
      ];
      for (const obj of manifests.objects) await mgmt.apply(obj);
      await mgmt.create({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "sim-one-bootstrap-token", namespace: manifests.namespace },
        stringData: { token: "s3cret" },
      });
      sim.watchPlane("mgmt", KubeClient.fromKubeconfig(plane.kubeconfig));
      sim.start();

      const child = await until(
        "the child plane",
        () => Promise.resolve(sim.clusters.get("sim-one")),
      );
      const nodes = await until("3 ready nodes", async () => {
        const ref = await child.client.resourceFor("v1", "Node");
        const list = await child.client.list<KubeObject>(ref);
        return list.items.length === 3 ? list.items : undefined;
      });
      assert.equal(nodes.length, 3);

      await t.step("the kubeconfig Secret reaches the child's real apiserver", async () => {
        const ref = await mgmt.resourceFor("v1", "Secret");
        const secret = await mgmt.get<{ data: { value: string } }>(
          ref,
          "sim-one-kubeconfig",
          manifests.namespace,
        );
        const viaSecret = KubeClient.fromKubeconfig(atob(secret.data.value));
        const version = await viaSecret.request<{ gitVersion: string }>({
          method: "GET",
          path: "/version",
        });
        viaSecret.close();
        assert.match(version.gitVersion, /^v1\./);
      });

      await t.step("CAPI statuses say provisioned and initialized", async () => {
        const ref = await mgmt.resourceFor("cluster.x-k8s.io/v1beta2", "Cluster");
        const capi = await until("cluster status", async () => {
          const c = await mgmt.get<KubeObject>(ref, "sim-one", manifests.namespace);
          const status = c.status as { initialization?: Record<string, boolean> } | undefined;
          return status?.initialization?.controlPlaneInitialized ? c : undefined;
        });
        assert.equal((capi.status as { phase: string }).phase, "Provisioned");
        assert.ok(capi.metadata?.finalizers?.includes("cluster.cluster.x-k8s.io"));
      });

      await t.step("post-bootstrap commands ran with the Secret-backed token file", async () => {
        await until(
          "bootstrap",
          () => Promise.resolve(child.bootstrap === "done" ? true : undefined),
        );
        const seen = await Deno.readTextFile(`${child.plane.dir}/machine-0/etc/lattice/token.seen`);
        assert.equal(seen, "s3cret");
      });

      await t.step("scaling the MachineDeployment adds a Ready node", async () => {
        const mdRef = await mgmt.resourceFor("cluster.x-k8s.io/v1beta2", "MachineDeployment");
        await mgmt.patch(mdRef, manifests.machineDeployment.metadata.name, {
          spec: { replicas: 3 },
        }, { namespace: manifests.namespace });
        await until("4 nodes", async () => {
          const ref = await child.client.resourceFor("v1", "Node");
          const list = await child.client.list<KubeObject>(ref);
          return list.items.length === 4 ? true : undefined;
        });
      });

      await t.step("an upgrade changes the nodes' kubelet version", async () => {
        const ref = await mgmt.resourceFor(
          "controlplane.cluster.x-k8s.io/v1beta2",
          "KubeadmControlPlane",
        );
        await mgmt.patch(ref, kcp.metadata.name, { spec: { version: "v1.32.0" } }, {
          namespace: manifests.namespace,
        });
        await until("upgraded control-plane node", async () => {
          const nodeRef = await child.client.resourceFor("v1", "Node");
          const list = await child.client.list<KubeObject>(nodeRef, {
            labelSelector: "node-role.kubernetes.io/control-plane",
          });
          const versions = list.items.map((n) =>
            (n.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion
          );
          return versions.length === 1 && versions[0] === "v1.32.0" ? true : undefined;
        });
      });

      await t.step("deleting the Cluster tears the child plane down", async () => {
        const pids = child.plane.pids();
        const ref = await mgmt.resourceFor("cluster.x-k8s.io/v1beta2", "Cluster");
        await mgmt.delete(ref, "sim-one", manifests.namespace);
        await until("cluster gone", async () => {
          try {
            await mgmt.get(ref, "sim-one", manifests.namespace);
            return undefined;
          } catch {
            return true;
          }
        });
        assert.equal(sim.clusters.has("sim-one"), false);
        // What CAPI's controllers and the garbage collector remove goes with it.
        for (
          const [apiVersion, kind] of [
            ["cluster.x-k8s.io/v1beta2", "Machine"],
            ["cluster.x-k8s.io/v1beta2", "MachineSet"],
            ["infrastructure.cluster.x-k8s.io/v1beta2", "DevMachine"],
            ["bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig"],
            ["controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane"],
          ]
        ) {
          const kindRef = await mgmt.resourceFor(apiVersion, kind);
          const left = await mgmt.list<KubeObject>(kindRef, { namespace: manifests.namespace });
          assert.deepEqual(left.items.map((o) => o.metadata?.name), [], kind);
        }
        for (const pid of pids) {
          assert.throws(() => Deno.kill(pid, "SIGCONT"), `process ${pid} should be gone`);
        }
      });
    } finally {
      await sim.stop();
      mgmt.close();
    }
  }, { crds: { upstream: [...CLUSTER_API_CRD_SETS] } });
});
