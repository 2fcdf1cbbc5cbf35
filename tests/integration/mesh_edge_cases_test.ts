/**
 * The mesh's edge cases on a real apiserver with the real Cilium and Istio CRDs: names a
 * Service cannot carry are refused by the CRD, specs only zod can judge become
 * `InvalidSpec`, a missing peer namespace is named, and pair policies deleted or edited by
 * hand are put back (the watch-fed policy index wakes their callee).
 */
import { equal, match, ok, rejects } from "node:assert/strict";
import { LATTICE_SERVICE_REF } from "../../lib/api/mod.ts";
import { CNP_REF, meshControllers, type ServiceObject } from "../../lib/controllers/service/mod.ts";
import { ApiError, isNotFound, KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { until } from "../_until.ts";
import { serviceDoc } from "../controllers/service/_mesh.ts";
import { withControlPlane } from "./_plane.ts";
import { ensureNamespaces, MESH_CRDS } from "./_mesh_plane.ts";

const http = { http: { port: 80, targetPort: 8080 } };

Deno.test("mesh edge cases: names, invalid specs, missing namespaces, policy drift", async (t) => {
  await withControlPlane(t, async (plane) => {
    using client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    await ensureNamespaces(client, ["shop", "istio-system"]);
    const stop = new AbortController();
    const m = meshControllers(client, { selfName: "test", signal: stop.signal });
    const running = Promise.all(m.controllers.map((c) => c.run(stop.signal)));
    const condition = async (name: string, type: string) => {
      const s = await client.get<ServiceObject>(LATTICE_SERVICE_REF, name, "shop");
      return s.status?.observedGeneration === s.metadata.generation
        ? s.status?.conditions?.find((c) => c.type === type)
        : undefined;
    };
    try {
      await t.step("a name that cannot name a Service is refused by the CRD", async () => {
        await rejects(client.create(serviceDoc("shop", "1api", { ports: http })), (e) => {
          ok(e instanceof ApiError && e.status === 422, String(e));
          match(e.message, /DNS-1035/);
          return true;
        });
      });

      await t.step("an environment cannot claim a system namespace", async () => {
        await rejects(
          client.create({
            apiVersion: "lattice.dev/v1alpha1",
            kind: "LatticeEnvironment",
            metadata: { name: "ops" },
            spec: { namespaces: ["shop", "istio-system"] },
          }),
          (e) => {
            ok(e instanceof ApiError && e.status === 422, String(e));
            match(e.message, /system namespaces .* cannot belong to an environment/);
            return true;
          },
        );
      });

      await t.step("duplicate ports: InvalidSpec naming the field, nothing compiled", async () => {
        await client.apply(serviceDoc("shop", "dup", {
          ports: { http: { port: 80 }, web: { port: 80 } },
        }));
        const ready = await until("dup's Ready condition", () => condition("dup", "Ready"));
        equal(ready.status, "False");
        equal(ready.reason, "InvalidSpec");
        match(
          ready.message ?? "",
          /service\.ports\.web\.port: 80\/TCP is already service\.ports\.http/,
        );
      });

      await t.step("a peer in a missing namespace is named", async () => {
        await client.apply(serviceDoc("shop", "web", {
          resources: {
            api: { direction: "outbound" },
            ledger: { direction: "outbound", namespace: "pay" },
          },
        }));
        const agreed = await until("web's pending reasons", async () => {
          const c = await condition("web", "DependenciesAgreed");
          return c?.message?.includes("namespace pay") ? c : undefined;
        });
        match(
          agreed.message ?? "",
          /namespace pay does not exist, so neither does LatticeService pay\/ledger/,
        );
      });

      await t.step("a pair policy deleted or edited by hand is put back", async () => {
        await client.apply(serviceDoc("shop", "api", {
          ports: http,
          resources: { web: { direction: "inbound" } },
        }));
        const name = "allow.shop.web.to.api";
        const port = (p: KubeObject) =>
          (p.spec as { ingress: { toPorts: { ports: { port: string }[] }[] }[] })
            .ingress[0].toPorts[0].ports[0].port;
        const first = await until(
          "the pair's CNP",
          () =>
            client.get<KubeObject>(CNP_REF, name, "shop").catch((e) => {
              if (isNotFound(e)) return undefined;
              throw e;
            }),
        );
        equal(port(first), "8080");
        await client.delete(CNP_REF, name, "shop");
        const back = await until(
          "the CNP to come back",
          () =>
            client.get<KubeObject>(CNP_REF, name, "shop").then(
              (p) => p.metadata?.uid !== first.metadata?.uid ? p : undefined,
              (e) => {
                if (isNotFound(e)) return undefined;
                throw e;
              },
            ),
        );
        equal(port(back), "8080");
        // An edit that keeps the hash annotation but opens another port.
        const edited = await client.patch<KubeObject>(CNP_REF, name, {
          spec: {
            ...back.spec as Record<string, unknown>,
            ingress: [{
              fromEndpoints: (back.spec as { ingress: { fromEndpoints: unknown }[] }).ingress[0]
                .fromEndpoints,
              toPorts: [{ ports: [{ port: "22", protocol: "TCP" }] }],
            }],
          },
        }, { namespace: "shop" });
        equal(port(edited), "22");
        await until("the edit to be reverted", async () => {
          const p = await client.get<KubeObject>(CNP_REF, name, "shop");
          return port(p) === "8080" ? p : undefined;
        });
      });
    } finally {
      stop.abort();
      await running;
    }
  }, { crds: MESH_CRDS });
});
