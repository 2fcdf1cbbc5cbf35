/**
 * The operator's roles follow leadership: of two replicas of a cell, only the leader serves
 * the cell's endpoints; when it stops, the other takes over and serves.
 */
import assert from "node:assert/strict";
import { KubeClient } from "../../lib/kube/mod.ts";
import { runLattice } from "../../lib/operator/lattice.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { until } from "../_until.ts";
import { withControlPlane } from "./_plane.ts";

Deno.test("operator: a cell's endpoints run on the leader only, and move on failover", async (t) => {
  await withControlPlane(t, async (plane) => {
    const admin = KubeClient.fromKubeconfig(plane.kubeconfig);
    await admin.apply({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "lattice-system" },
    });
    const root = minimalClusterDocument("root");
    root.spec.cell = { enabled: true, host: "localhost" };
    await admin.apply(root as unknown as Parameters<typeof admin.apply>[0]);
    admin.close();

    const serving = new Map<string, string>();
    const start = (identity: string) => {
      const client = KubeClient.fromKubeconfig(plane.kubeconfig);
      const stop = new AbortController();
      const run = runLattice(client, {
        clusterName: "root",
        httpsPort: 0,
        grpcPort: 0,
        metricsPort: 0,
        leaderElection: {
          name: "lattice-operator",
          namespace: "lattice-system",
          identity,
          leaseDurationMs: 3_000,
          renewDeadlineMs: 2_000,
          retryPeriodMs: 250,
        },
        onReady: ({ cell }) => {
          if (cell) serving.set(identity, cell.url);
        },
        signal: stop.signal,
      }).finally(() => client.close());
      return { stop, run };
    };
    const a = start("a");
    const b = start("b");
    try {
      const first = await until(
        "a leader serving",
        () => Promise.resolve(serving.size > 0 ? [...serving.keys()][0] : undefined),
      );
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(serving.size, 1, "only the leader serves the cell");

      const [leader, other] = first === "a" ? [a, "b"] : [b, "a"];
      leader.stop.abort();
      await leader.run;
      const url = await until(
        "the other replica serving",
        () => Promise.resolve(serving.get(other)),
        30_000,
      );
      const res = await fetch(`${url}/api/clusters/nope/register`, {
        method: "POST",
        body: "{}",
        client: Deno.createHttpClient({ caCerts: [await cellCa(plane.kubeconfig)] }),
      });
      await res.body?.cancel();
      assert.ok(res.status >= 400 && res.status < 500, `webhook answers (got ${res.status})`);
    } finally {
      a.stop.abort();
      b.stop.abort();
      await Promise.allSettled([a.run, b.run]);
    }
  }, { crds: { lattice: true } });
});

async function cellCa(kubeconfig: string): Promise<string> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const ref = await client.resourceFor("v1", "Secret");
    const secret = await client.get<{ data: Record<string, string> }>(
      ref,
      "lattice-ca",
      "lattice-system",
    );
    return atob(secret.data["tls.crt"]);
  } finally {
    client.close();
  }
}
