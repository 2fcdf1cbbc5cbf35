/**
 * The operator process runs the mesh on its cluster: `runLattice` (the production
 * composition) applies default deny and compiles a LatticeService with a bilateral pair;
 * without Cilium and Istio a service still runs and says why it has no policies;
 * environments report namespace conflicts and unmatched selectors.
 */
import { equal, match } from "node:assert/strict";
import { LATTICE_ENVIRONMENT_REF, LATTICE_SERVICE_REF } from "../../lib/api/mod.ts";
import {
  AUTHZ_REF,
  CCNP_REF,
  CNP_REF,
  meshControllers,
  NAMESPACE_REF,
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

Deno.test("without Cilium and Istio the workload runs and status says the mesh is unavailable; environment conflicts and selectors", async (t) => {
  await withControlPlane(t, async (plane, api) => {
    using client = KubeClient.fromKubeconfig(plane.kubeconfig);
    await ensureNamespaces(client, ["shop"]);
    const stop = new AbortController();
    const mesh = meshControllers(client, { selfName: "solo", signal: stop.signal });
    const running = Promise.all(mesh.controllers.map((c) => c.run(stop.signal)));
    try {
      await client.apply(serviceDoc("shop", "api", { ports: { http: { port: 80 } } }));
      const svc = await until("MeshUnavailable", async () => {
        const s = await client.get<ServiceObject>(LATTICE_SERVICE_REF, "api", "shop");
        const c = s.status?.conditions?.find((x) => x.type === "MeshPolicies");
        return c?.status === "False" ? c : undefined;
      });
      equal(svc.reason, "MeshUnavailable");
      await client.get<KubeObject>(DEPLOYMENT_REF, "api", "shop");
      const env = (name: string, namespaces: string[], matchLabels?: Record<string, string>) => ({
        apiVersion: "lattice.dev/v1alpha1",
        kind: "LatticeEnvironment",
        metadata: { name },
        spec: { namespaces, ...(matchLabels ? { clusterSelector: { matchLabels } } : {}) },
      });
      await client.apply(env("dev", ["shared", "dev-a"]));
      await client.apply(env("qa", ["shared", "qa-a"], { tier: "qa" }));
      const qa = await until("qa's status", async () => {
        const e = await client.get<KubeObject>(LATTICE_ENVIRONMENT_REF, "qa");
        const st = e.status as {
          active?: boolean;
          conditions?: { type: string; status: string; message: string }[];
        } | undefined;
        return st?.conditions?.some((c) => c.type === "NamespaceConflict" && c.status === "True")
          ? st
          : undefined;
      });
      equal(qa.active, false);
      match(
        qa.conditions?.find((c) => c.type === "NamespaceConflict")?.message ?? "",
        /shared belongs to environment dev/,
      );
      await until(
        "dev's namespaces",
        () => client.get<KubeObject>(NAMESPACE_REF, "dev-a").catch(() => undefined),
      );
      const out = await api.kubectl(["get", "lenv"]);
      match(out.stdout, /qa\s+shared,qa-a\s+tier=qa\s+\S*\s*false/);
    } finally {
      stop.abort();
      await running;
    }
  }, { crds: { lattice: true } });
});
