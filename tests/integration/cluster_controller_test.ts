/**
 * The LatticeCluster controller on a real kube-apiserver with the real CAPI CRDs: cell
 * mode phases advance as the test sets CAPI status (as CAPI's controllers would), self
 * mode scales and upgrades the right objects in the right order, deletion removes
 * everything, and invalid specs produce a condition and an Event.
 */
import assert from "node:assert/strict";
import { BootstrapTokens, MemoryTokenBackend } from "../../lib/pki/mod.ts";
import {
  capiNamespace,
  CLUSTER,
  KUBEADM_CONTROL_PLANE,
  MACHINE_DEPLOYMENT,
} from "../../lib/capi/mod.ts";
import {
  CLUSTER_FINALIZER,
  clusterController,
  type ClusterObject,
  ClusterReconciler,
  JOIN_TOKEN_SECRET,
  LATTICE_CLUSTER_REF,
  type PivotProgress,
  secretBootstrapTokens,
} from "../../lib/controllers/cluster/mod.ts";
import { EventRecorder, KubeClient } from "../../lib/kube/mod.ts";
import type { StoreReader } from "../../lib/runtime/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { withControlPlane } from "./_plane.ts";
import {
  at,
  clusterDoc,
  condition,
  CRDS,
  eventReasons,
  eventually,
  getCluster,
  getObject,
  mustGetCluster,
  setStatus,
} from "./_cluster_helpers.ts";
import { TEST_CA_PEM } from "../capi/fixtures.ts";

Deno.test("cluster controller on a real control plane", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const issuer = new BootstrapTokens(new MemoryTokenBackend());
    const recorder = new EventRecorder(client, { component: "lattice.dev/test" });
    let pivot: PivotProgress = "in-progress";
    const pivoted: string[] = [];
    const reconciler = new ClusterReconciler(client, {
      selfName: "root",
      cell: { url: "https://root.example.com:8443", caBundlePem: TEST_CA_PEM },
      tokens: secretBootstrapTokens(client, issuer),
      pivot: (c) => {
        pivoted.push(c.metadata.name);
        return Promise.resolve(pivot);
      },
      recorder,
    });
    const reconcile = async (name: string) =>
      await reconciler.reconcile(await mustGetCluster(client, name));
    const known = new Set(["root"]);
    const store = {
      get: (key: string) => (known.has(key) ? ({} as ClusterObject) : undefined),
    } as unknown as StoreReader<ClusterObject>;

    try {
      await t.step(
        "cell mode: Pending → Provisioning applies CAPI objects and a token",
        async () => {
          await client.create(
            clusterDoc("child-a", { cellRef: "root", controlPlane: 1, workers: 2 }),
          );
          const action = await reconcile("child-a");
          assert.ok((action.requeueAfterMs ?? 0) > 0, "waits for CAPI");
          const lc = await mustGetCluster(client, "child-a");
          assert.ok(lc.metadata.finalizers?.includes(CLUSTER_FINALIZER));
          assert.equal(lc.status?.phase, "Provisioning");
          assert.equal(lc.status?.provider, "docker");
          assert.equal(lc.status?.observedGeneration, lc.metadata.generation);
          assert.equal(condition(lc, "CapiObjectsApplied")?.status, "True");
          assert.equal(lc.status?.nodes?.summary, "0/0");
          const ns = capiNamespace("child-a");
          const cp = await getObject(
            client,
            KUBEADM_CONTROL_PLANE.apiVersion,
            "KubeadmControlPlane",
            "child-a-control-plane",
            ns,
          );
          assert.equal(at(cp, "spec", "replicas"), 1);
          const md = await getObject(
            client,
            MACHINE_DEPLOYMENT.apiVersion,
            "MachineDeployment",
            "child-a-md-0",
            ns,
          );
          assert.equal(at(md, "spec", "replicas"), 2);
          const files = at(cp, "spec", "kubeadmConfigSpec", "files") as {
            path: string;
            contentFrom?: unknown;
          }[];
          assert.deepEqual(files.find((f) => f.path === "/etc/lattice/token")?.contentFrom, {
            secret: { name: JOIN_TOKEN_SECRET, key: "token" },
          });
          const secret = await getObject(client, "v1", "Secret", JOIN_TOKEN_SECRET, ns);
          assert.ok(at(secret, "data", "token"), "token Secret written");
          assert.equal((await issuer.inspect("child-a"))?.state, "issued");
          assert.ok((await eventReasons(client, "child-a")).includes("Provisioning"));
        },
      );

      await t.step("a quiet reconcile writes nothing", async () => {
        const before = await mustGetCluster(client, "child-a");
        await reconcile("child-a");
        const after = await mustGetCluster(client, "child-a");
        assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
      });

      await t.step("a machine change while provisioning replaces the templates", async () => {
        const ns = capiNamespace("child-a");
        const md = () =>
          getObject(client, MACHINE_DEPLOYMENT.apiVersion, "MachineDeployment", "child-a-md-0", ns);
        const old = at(await md(), "spec", "template", "spec", "infrastructureRef", "name");
        await client.patch(LATTICE_CLUSTER_REF, "child-a", {
          spec: { provider: { config: { docker: { customImage: "kindest/node:v1.31.0" } } } },
        });
        await reconcile("child-a");
        const now = at(await md(), "spec", "template", "spec", "infrastructureRef", "name");
        assert.notEqual(now, old);
        const kind = "DevMachineTemplate";
        const apiVersion = "infrastructure.cluster.x-k8s.io/v1beta2";
        assert.ok(await getObject(client, apiVersion, kind, now as string, ns));
        assert.equal(await getObject(client, apiVersion, kind, old as string, ns), undefined);
      });

      await t.step("control plane ready → Pivoting (hand-off), then Ready", async () => {
        const ns = capiNamespace("child-a");
        await setStatus(client, CLUSTER.apiVersion, "Cluster", "child-a", ns, {
          initialization: { infrastructureProvisioned: true, controlPlaneInitialized: true },
          controlPlane: {
            replicas: 1,
            readyReplicas: 1,
            versions: [{ version: "v1.31.0", replicas: 1 }],
          },
          workers: { replicas: 2, readyReplicas: 1 },
        });
        await reconcile("child-a");
        let lc = await mustGetCluster(client, "child-a");
        assert.equal(lc.status?.phase, "Pivoting");
        assert.equal(lc.status?.nodes?.summary, "2/3");
        assert.equal(lc.status?.kubernetesVersion, "1.31.0");
        assert.equal(condition(lc, "ControlPlaneReady")?.status, "True");
        assert.deepEqual(pivoted, ["child-a"]);

        pivot = "done";
        await reconcile("child-a");
        lc = await mustGetCluster(client, "child-a");
        assert.equal(lc.status?.phase, "Ready");
        assert.equal(condition(lc, "Pivoted")?.status, "True");
        assert.equal(await issuer.inspect("child-a"), undefined, "token released");
        const reasons = await eventReasons(client, "child-a");
        for (const r of ["Provisioning", "Pivoting", "Ready"]) assert.ok(reasons.includes(r), r);
        // Once pivoted, the cell does not call the pivot again.
        await reconcile("child-a");
        assert.equal(pivoted.length, 2);
        pivot = "in-progress";
      });

      await t.step("deletion removes the CAPI objects and releases the finalizer", async () => {
        await client.delete(LATTICE_CLUSTER_REF, "child-a");
        const first = await reconcile("child-a");
        assert.ok((first.requeueAfterMs ?? 0) > 0);
        assert.equal((await mustGetCluster(client, "child-a")).status?.phase, "Deleting");
        // Its agent certificates were revoked first (persisted for every replica).
        const revoked = await getObject(
          client,
          "v1",
          "ConfigMap",
          "lattice-revoked-certificates",
          "lattice-system",
        );
        assert.ok(at(revoked, "data", "child-a"), JSON.stringify(revoked));
        const ns = capiNamespace("child-a");
        // No CAPI controllers run here, so the Cluster has no finalizer and goes at once.
        assert.equal(
          await getObject(client, CLUSTER.apiVersion, "Cluster", "child-a", ns),
          undefined,
        );
        await reconcile("child-a");
        assert.equal(await getCluster(client, "child-a"), undefined);
        assert.equal(
          await getObject(
            client,
            KUBEADM_CONTROL_PLANE.apiVersion,
            "KubeadmControlPlane",
            "child-a-control-plane",
            ns,
          ),
          undefined,
        );
        assert.equal(
          await getObject(
            client,
            MACHINE_DEPLOYMENT.apiVersion,
            "MachineDeployment",
            "child-a-md-0",
            ns,
          ),
          undefined,
        );
        const namespace = await getObject(client, "v1", "Namespace", ns);
        // Without kube-controller-manager a namespace stays Terminating; it was deleted.
        assert.ok(namespace === undefined || at(namespace, "metadata", "deletionTimestamp"));
      });

      await t.step(
        "invalid specs: condition + Event, nothing applied; fixing recovers",
        async () => {
          // A rule the CRD carries is refused at the door, with the operator's message.
          await assert.rejects(
            () => client.create(clusterDoc("child-even", { cellRef: "root", controlPlane: 2 })),
            /spec\.nodes\.controlPlane: Invalid value: 2: must be odd \(1, 3, 5, \.\.\.\)/,
          );
          await client.create(clusterDoc("child-lost", { cellRef: "nowhere" }));
          await reconciler.reconcile(await mustGetCluster(client, "child-lost"), { store });
          let lc = await mustGetCluster(client, "child-lost");
          assert.equal(lc.status?.phase, "Failed");
          assert.equal(condition(lc, "SpecValid")?.reason, "UnknownCellRef");
          assert.ok((await eventReasons(client, "child-lost")).includes("UnknownCellRef"));
          assert.match(
            condition(lc, "Ready")?.message ?? "",
            /^spec\.cellRef: names "nowhere", which is not a known cluster: set it to the parent cell's name \("root"\)$/,
          );
          assert.equal(
            await getObject(client, "v1", "Namespace", capiNamespace("child-lost")),
            undefined,
          );

          // What only context can refuse reaches the operator; fixing it recovers.
          await client.patch(LATTICE_CLUSTER_REF, "child-lost", { spec: { cellRef: "root" } });
          await reconciler.reconcile(await mustGetCluster(client, "child-lost"), { store });
          lc = await mustGetCluster(client, "child-lost");
          assert.equal(lc.status?.phase, "Provisioning");
          assert.equal(condition(lc, "SpecValid")?.status, "True");
        },
      );

      await t.step("a provider the cell does not serve → Failed; switching recovers", async () => {
        const doc = clusterDoc("child-aws", { cellRef: "root" });
        doc.spec.provider.config = { aws: { region: "us-west-2" } };
        await client.create(doc);
        await reconcile("child-aws");
        let lc = await mustGetCluster(client, "child-aws");
        assert.equal(lc.status?.phase, "Failed");
        assert.equal(condition(lc, "CapiObjectsApplied")?.reason, "ProviderNotInstalled");
        assert.match(condition(lc, "Ready")?.message ?? "", /AWSCluster/);
        // Nothing was provisioned, so the provider may still change.
        await client.patch(LATTICE_CLUSTER_REF, "child-aws", {
          spec: { provider: { config: { aws: null, docker: {} } } },
        });
        await reconcile("child-aws");
        lc = await mustGetCluster(client, "child-aws");
        assert.equal(lc.status?.phase, "Provisioning");
        assert.equal(lc.status?.provider, "docker");
        await client.delete(LATTICE_CLUSTER_REF, "child-aws");
        await reconcile("child-aws");
        await reconcile("child-aws");
        assert.equal(await getCluster(client, "child-aws"), undefined);
      });
    } finally {
      client.close();
    }
  }, { crds: CRDS });
});

Deno.test("the runtime Controller drives phases from watches", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const issuer = new BootstrapTokens(new MemoryTokenBackend());
    try {
      const controller = clusterController(client, {
        selfName: "root",
        cell: { url: "https://root.example.com:8443", caBundlePem: TEST_CA_PEM },
        tokens: secretBootstrapTokens(client, issuer),
        pivot: () => Promise.resolve("in-progress"),
        pollMs: 600_000,
        logger: Deno.env.get("LATTICE_TEST_LOG")
          ? createLogger({ level: "debug", format: "text" })
          : undefined,
      });
      const stop = new AbortController();
      const running = controller.run(stop.signal);
      try {
        await controller.ready;
        await client.create(clusterDoc("child-w", { cellRef: "root" }));
        await eventually(async () => {
          const lc = await getCluster(client, "child-w");
          return lc?.status?.phase === "Provisioning" ? lc : undefined;
        }, "child-w Provisioning");
        // Only the watch on CAPI Clusters can wake it now (the poll is 10 minutes).
        await setStatus(
          client,
          CLUSTER.apiVersion,
          "Cluster",
          "child-w",
          capiNamespace("child-w"),
          {
            initialization: { controlPlaneInitialized: true },
          },
        );
        await eventually(async () => {
          const lc = await getCluster(client, "child-w");
          return lc?.status?.phase === "Pivoting" ? lc : undefined;
        }, "child-w Pivoting");
      } finally {
        stop.abort();
        await running;
      }
    } finally {
      client.close();
    }
  }, { crds: CRDS });
});
