/**
 * The operator's roles: of two replicas of a cell, only the leader serves the cell's
 * endpoints, and when it stops the other takes over; a bootstrap cell provisions the root,
 * which has no cellRef, and advertises its node's name when given no host.
 */
import assert from "node:assert/strict";
import { capiNamespace, KUBEADM_CONTROL_PLANE } from "../../lib/capi/mod.ts";
import { CLUSTER_FINALIZER } from "../../lib/controllers/cluster/mod.ts";
import { KubeClient } from "../../lib/kube/mod.ts";
import { runLattice } from "../../lib/operator/lattice.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { until } from "../_until.ts";
import { withControlPlane } from "./_plane.ts";
import { clusterDoc, CRDS, eventually, getCluster, getObject } from "./_cluster_helpers.ts";

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

Deno.test("operator: a bootstrap cell provisions a root without cellRef", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    const stop = new AbortController();
    const ready = Promise.withResolvers<string | undefined>();
    const run = runLattice(client, {
      clusterName: "bootstrap",
      bootstrapCell: true,
      // No --cell-host and no own LatticeCluster: the cell advertises its node's name.
      nodeName: "127.0.0.1",
      httpsPort: 0,
      grpcPort: 0,
      metricsPort: 0,
      onReady: ({ cell }) => ready.resolve(cell?.url),
      signal: stop.signal,
    });
    try {
      const url = await ready.promise;
      assert.match(url ?? "", /^https:\/\/127\.0\.0\.1:\d+$/);
      const root = clusterDoc("root");
      assert.equal(root.spec.cellRef, undefined);
      await client.create(root);
      const provisioned = await eventually(async () => {
        const lc = await getCluster(client, "root");
        return lc?.status?.phase === "Provisioning" ? lc : undefined;
      }, "root Provisioning");
      assert.equal(provisioned.spec.cellRef, undefined);
      assert.ok(provisioned.metadata.finalizers?.includes(CLUSTER_FINALIZER));
      const kcp = await getObject(
        client,
        KUBEADM_CONTROL_PLANE.apiVersion,
        "KubeadmControlPlane",
        "root-control-plane",
        capiNamespace("root"),
      );
      assert.ok(JSON.stringify(kcp).includes(url!), "the root joins the bootstrap cell's URL");
    } finally {
      stop.abort();
      await run;
      client.close();
    }
  }, { crds: CRDS });
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
