/**
 * The whole promise in one run, on real local control planes (only Cluster API's
 * controllers and machines are simulated, by the CAPI simulator):
 *
 * bootstrap cell → management cluster (a cell) → pivot → management provisions a workload
 * cluster → pivot → the bootstrap plane is deleted → the workload cluster scales its own
 * workers (2 → 3) and the management cluster upgrades itself, each through its own CAPI
 * objects with no parent involved → the workload cluster is reached through the management
 * cell's proxy with the real kubectl.
 */
import assert from "node:assert/strict";
import {
  exampleClusters,
  inProcessOperator,
  kubectl,
  Sandbox,
  sourceShim,
} from "../../lib/sandbox/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { KubeClient } from "../../lib/kube/mod.ts";
import { LATTICE_CLUSTER, names, read } from "./_fleet.ts";
import { kubectlThroughProxy, scaleWorkers, upgradeKubernetes } from "./_flow.ts";

const CAPI = "cluster.x-k8s.io/v1beta2";

Deno.test("end to end: cells provision cells, pivot, and manage themselves", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-e2e-" });
  const lines: string[] = [];
  const started = performance.now();
  const log = createLogger({
    level: Deno.env.get("LATTICE_LOG") === "debug" ? "debug" : "warn",
    format: "text",
  });
  const sandbox = await Sandbox.up({
    clusters: exampleClusters(),
    dir,
    logger: log,
    print: (line) => lines.push(line),
    timeoutMs: 300_000,
    startOperator: inProcessOperator({
      binary: await sourceShim(`${dir}/bin`),
      heartbeatIntervalMs: 1_000,
    }),
  });
  const marks: [string, number][] = [["all Ready", performance.now() - started]];
  try {
    const mgmt = sandbox.planeOf("mgmt")!;
    const workload = sandbox.planeOf("workload")!;

    await t.step("every provisioned cluster owns its CAPI objects; parents hold none", async () => {
      assert.deepEqual(await names(sandbox.bootstrap.kubeconfig, CAPI, "Cluster"), []);
      assert.deepEqual(await names(mgmt.kubeconfig, CAPI, "Cluster"), ["mgmt"]);
      assert.deepEqual(await names(workload.kubeconfig, CAPI, "Cluster"), ["workload"]);
      assert.deepEqual(await names(sandbox.bootstrap.kubeconfig, CAPI, "Machine"), []);
      assert.deepEqual(await names(mgmt.kubeconfig, CAPI, "Machine", "capi-workload"), []);
      // The child's own LatticeCluster came with the bundle and is its source of truth.
      assert.ok(await read(workload.kubeconfig, LATTICE_CLUSTER, "workload"));
      const capi = await read(
        workload.kubeconfig,
        {
          group: "cluster.x-k8s.io",
          version: "v1beta2",
          plural: "clusters",
          kind: "Cluster",
          namespaced: true,
        },
        "workload",
        "capi-workload",
      );
      assert.notEqual(
        (capi?.spec as { paused?: boolean }).paused,
        true,
        "the child's copy is unpaused",
      );
    });

    await t.step("the bootstrap plane is deleted; the fleet keeps running", async () => {
      const t0 = performance.now();
      await sandbox.deleteBootstrap();
      marks.push(["bootstrap deleted", performance.now() - started]);
      const rows = await sandbox.rows();
      assert.deepEqual(rows.map((r) => r.name).sort(), ["mgmt", "workload"]);
      assert.ok(performance.now() - t0 < 60_000);
    });

    await t.step("workload scales its own workers 2 → 3 through its own CAPI objects", async () => {
      // Git (the parent's copy) says so too: while its parent is connected, the parent's copy
      // wins over an edit made on the child alone (docs/adr/gitops-after-pivot.md).
      const parentClient = KubeClient.fromKubeconfig(mgmt.kubeconfig);
      try {
        await parentClient.patch(LATTICE_CLUSTER, "workload", { spec: { nodes: { workers: 3 } } });
      } finally {
        parentClient.close();
      }
      assert.equal(await scaleWorkers(workload.kubeconfig, "workload", 3, 120_000), 4);
      marks.push(["workload scaled", performance.now() - started]);
    });

    await t.step("mgmt upgrades its own Kubernetes version, control plane first", async () => {
      await upgradeKubernetes(mgmt.kubeconfig, "mgmt", "1.32.0", 120_000);
      marks.push(["mgmt upgraded", performance.now() - started]);
    });

    await t.step("kubectl reaches workload through mgmt's proxy", async () => {
      const cellUrl = sandbox.operatorOf("mgmt")?.cellUrl;
      assert.ok(cellUrl, "mgmt is a cell");
      const nodes = await kubectlThroughProxy({
        cellKubeconfig: mgmt.kubeconfig,
        cellName: "mgmt",
        cellUrl,
        clusterKubeconfig: workload.kubeconfig,
        cluster: "workload",
        dir,
        kubectl: (path, args) => kubectl({ kubeconfigPath: path }, args, { allowFailure: true }),
        timeoutMs: 60_000,
      });
      assert.equal(nodes, 4);
      marks.push(["proxied kubectl", performance.now() - started]);
    });
  } finally {
    await sandbox.down();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    console.log("\nTimeline of the sandbox run:");
    for (const line of lines) console.log(`  ${line}`);
    for (const [what, ms] of marks) console.log(`  ${what.padEnd(20)} +${(ms / 1000).toFixed(1)}s`);
  }
});
