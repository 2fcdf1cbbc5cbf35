/**
 * SIGTERM to a real `lattice operator` process (a cell, leader-elected) while it reconciles:
 * the process exits within a second, releases its Lease, and the next leader — a second
 * process — takes over at once and finishes the work.
 */
import assert from "node:assert/strict";
import { KubeClient } from "../../lib/kube/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { withControlPlane } from "./_plane.ts";
import { clusterDoc, eventually, getCluster } from "./_cluster_helpers.ts";
import { CRDS } from "./_cluster_helpers.ts";

const LEASE_REF = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true,
};

function operator(kubeconfigPath: string, identity: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../main.ts", import.meta.url).pathname,
      "operator",
      "--kubeconfig",
      kubeconfigPath,
      "--cluster-name",
      "root",
      "--https-port",
      "0",
      "--grpc-port",
      "0",
      "--metrics-port",
      "0",
      "--leader-elect",
      "--lease-namespace",
      "lattice-system",
      "--identity",
      identity,
      "--log-level",
      "warn",
    ],
    stdout: "null",
    stderr: Deno.env.get("LATTICE_TEST_VERBOSE") ? "inherit" : "null",
  }).spawn();
}

async function holder(client: KubeClient): Promise<string | undefined> {
  try {
    const lease = await client.get<{ spec?: { holderIdentity?: string } }>(
      LEASE_REF,
      "lattice-operator",
      "lattice-system",
    );
    return lease.spec?.holderIdentity || undefined;
  } catch {
    return undefined;
  }
}

Deno.test("SIGTERM: the operator process exits within 1 s and the next leader resumes", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    const a = operator(plane.kubeconfigPath, "a");
    let b: Deno.ChildProcess | undefined;
    try {
      await client.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "lattice-system" },
      });
      const root = minimalClusterDocument("root");
      root.spec.cell = { enabled: true, host: "localhost" };
      await client.apply(root as unknown as Parameters<typeof client.apply>[0]);
      await eventually(
        async () => (await holder(client)) === "a" ? true : undefined,
        "a leads",
        60_000,
      );
      // The cell's controllers run once a first child is provisioned.
      await client.create(clusterDoc("c0", { cellRef: "root" }));
      await eventually(
        async () => {
          const lc = await getCluster(client, "c0");
          return lc?.status?.phase === "Provisioning" ? lc : undefined;
        },
        "c0 provisioned by the first leader",
        60_000,
      );
      // Work under way when the signal arrives: more children to provision.
      for (let i = 1; i < 5; i++) await client.create(clusterDoc(`c${i}`, { cellRef: "root" }));

      const sent = performance.now();
      a.kill("SIGTERM");
      const status = await a.status;
      const exitMs = performance.now() - sent;
      assert.equal(status.code, 0, "a clean exit");
      assert.ok(exitMs < 1_000, `exited ${Math.round(exitMs)} ms after SIGTERM`);
      assert.equal(await holder(client), undefined, "the Lease is released");

      b = operator(plane.kubeconfigPath, "b");
      await eventually(
        async () => (await holder(client)) === "b" ? true : undefined,
        "b leads",
        60_000,
      );
      for (let i = 0; i < 5; i++) {
        await eventually(
          async () => {
            const lc = await getCluster(client, `c${i}`);
            return lc?.status?.phase === "Provisioning" ? lc : undefined;
          },
          `c${i} provisioned by the next leader`,
          60_000,
        );
      }
    } finally {
      for (const p of [a, b]) {
        try {
          p?.kill("SIGKILL");
        } catch {
          // Already gone.
        }
        await p?.status;
      }
      client.close();
    }
  }, { crds: CRDS });
});
