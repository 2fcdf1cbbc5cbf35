/**
 * The operator process runs the mesh on its cluster: `runLattice` (the production
 * composition) applies default deny and compiles a LatticeService with a bilateral pair.
 */
import { equal } from "node:assert/strict";
import { LATTICE_SERVICE_REF } from "../../lib/api/mod.ts";
import {
  AUTHZ_REF,
  CCNP_REF,
  CNP_REF,
  type ServiceObject,
} from "../../lib/controllers/service/mod.ts";
import { DEPLOYMENT_REF, KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { runLattice } from "../../lib/operator/lattice.ts";
import { until } from "../_until.ts";
import { serviceDoc } from "../controllers/service/_mesh.ts";
import { withControlPlane } from "./_plane.ts";
import { ensureNamespaces, MESH_CRDS } from "./_mesh_plane.ts";

Deno.test("the operator runs the mesh: default deny and a bilateral pair", async (t) => {
  await withControlPlane(t, async (plane) => {
    using admin = KubeClient.fromKubeconfig(plane.kubeconfig);
    await ensureNamespaces(admin, ["lattice-system", "istio-system", "shop"]);
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    const stop = new AbortController();
    const run = runLattice(client, { clusterName: "solo", metricsPort: 0, signal: stop.signal })
      .finally(() => client.close());
    try {
      await admin.apply(
        serviceDoc("shop", "web", { resources: { api: { direction: "outbound" } } }),
      );
      await admin.apply(serviceDoc("shop", "api", {
        ports: { http: { port: 80 } },
        resources: { web: { direction: "inbound" } },
      }));
      await until(
        "default deny",
        () => admin.get<KubeObject>(CCNP_REF, "lattice-default-deny").catch(() => undefined),
      );
      await until("the pair's policies", async () => {
        const cnp = await admin.get<KubeObject>(CNP_REF, "allow.shop.web.to.api", "shop").catch(
          () => undefined,
        );
        const ap = await admin.get<KubeObject>(AUTHZ_REF, "allow.shop.web.to.api", "shop").catch(
          () => undefined,
        );
        return cnp && ap ? true : undefined;
      });
      await admin.get<KubeObject>(DEPLOYMENT_REF, "api", "shop");
      const web = await until("web's status", async () => {
        const s = await admin.get<ServiceObject>(LATTICE_SERVICE_REF, "web", "shop");
        return s.status?.agreedCount === 1 ? s : undefined;
      });
      equal(web.status?.pendingCount, 0);
    } finally {
      stop.abort();
      await run;
    }
  }, { crds: MESH_CRDS });
});
