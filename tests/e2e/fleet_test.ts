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
import { proxyKubeconfig } from "../../lib/proxy/mod.ts";
import {
  exampleClusters,
  inProcessOperator,
  kubectl,
  Sandbox,
  sourceShim,
} from "../../lib/sandbox/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { LATTICE_CLUSTER, names, proxyAccess, read } from "./_fleet.ts";
import { until } from "../_until.ts";

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
      const client = KubeClient.fromKubeconfig(workload.kubeconfig);
      try {
        await client.patch(LATTICE_CLUSTER, "workload", { spec: { nodes: { workers: 3 } } });
        const mdRef = await client.resourceFor(CAPI, "MachineDeployment");
        await until("MachineDeployment replicas 3", async () => {
          const mds = await client.list<KubeObject>(mdRef, { namespace: "capi-workload" });
          return mds.items.some((md) => (md.spec as { replicas?: number }).replicas === 3)
            ? true
            : undefined;
        });
        const nodeRef = await client.resourceFor("v1", "Node");
        await until("4 nodes on workload", async () => {
          const nodes = await client.list<KubeObject>(nodeRef);
          return nodes.items.length === 4 ? true : undefined;
        });
        await until("workload status.nodes 4/4", async () => {
          const lc = await client.get<KubeObject>(LATTICE_CLUSTER, "workload");
          return (lc.status as { nodes?: { summary?: string } }).nodes?.summary === "4/4"
            ? true
            : undefined;
        });
      } finally {
        client.close();
      }
      marks.push(["workload scaled", performance.now() - started]);
    });

    await t.step("mgmt upgrades its own Kubernetes version, control plane first", async () => {
      const client = KubeClient.fromKubeconfig(mgmt.kubeconfig);
      try {
        await client.patch(LATTICE_CLUSTER, "mgmt", {
          spec: { provider: { kubernetes: { version: "1.32.0" } } },
        });
        const kcpRef = await client.resourceFor(
          "controlplane.cluster.x-k8s.io/v1beta2",
          "KubeadmControlPlane",
        );
        await until("control plane at v1.32.0", async () => {
          const list = await client.list<KubeObject>(kcpRef, { namespace: "capi-mgmt" });
          return list.items.some((k) =>
              String((k.spec as { version?: string }).version).includes("1.32.0")
            )
            ? true
            : undefined;
        });
        const mdRef = await client.resourceFor(CAPI, "MachineDeployment");
        await until("workers at v1.32.0", async () => {
          const list = await client.list<KubeObject>(mdRef, { namespace: "capi-mgmt" });
          return list.items.every((md) =>
              String(
                (md.spec as { template: { spec: { version?: string } } }).template.spec.version,
              ).includes("1.32.0")
            )
            ? true
            : undefined;
        });
        await until("mgmt status.kubernetesVersion 1.32.0", async () => {
          const lc = await client.get<KubeObject>(LATTICE_CLUSTER, "mgmt");
          return (lc.status as { kubernetesVersion?: string }).kubernetesVersion === "1.32.0"
            ? true
            : undefined;
        });
      } finally {
        client.close();
      }
      marks.push(["mgmt upgraded", performance.now() - started]);
    });

    await t.step("kubectl reaches workload through mgmt's proxy", async () => {
      const cellUrl = sandbox.operatorOf("mgmt")?.cellUrl;
      assert.ok(cellUrl, "mgmt is a cell");
      const token = await proxyAccess(mgmt.kubeconfig, "mgmt", workload.kubeconfig, "workload");
      const cellCa = await until("mgmt's CA", async () => {
        const secret = await read(
          mgmt.kubeconfig,
          { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
          "lattice-ca",
          "lattice-system",
        );
        const data = (secret as { data?: Record<string, string> } | undefined)?.data;
        return data?.["tls.crt"] ? atob(data["tls.crt"]) : undefined;
      });
      const path = `${dir}/proxy-workload.yaml`;
      await Deno.writeTextFile(
        path,
        proxyKubeconfig({ cellUrl, clusters: ["workload"], token, caPem: cellCa }),
      );
      const out = await until("nodes through the proxy", async () => {
        const res = await kubectl({ kubeconfigPath: path }, ["get", "nodes", "-o", "name"], {
          allowFailure: true,
        });
        return res.code === 0 ? res.stdout : undefined;
      }, 60_000);
      assert.equal(out.trim().split("\n").length, 4);
      const denied = await kubectl({ kubeconfigPath: path }, ["get", "secrets", "-A"], {
        allowFailure: true,
      });
      assert.notEqual(denied.code, 0, "the child's RBAC still decides");
      assert.match(denied.stderr, /forbidden/i);
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
