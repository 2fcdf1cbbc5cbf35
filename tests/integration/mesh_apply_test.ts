/**
 * Every kind of object the mesh generates is server-side applied to a real apiserver that
 * serves the real Cilium and Istio CRDs: their schemas accept what Lattice writes.
 */
import { deepStrictEqual, equal, match } from "node:assert/strict";
import { LatticeServiceSchema } from "../../lib/api/mod.ts";
import {
  agreementsOf,
  canaryObjects,
  defaultDenyObjects,
  meshIndex,
  pairPolicies,
  workloadObjects,
} from "../../lib/controllers/service/mod.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { serviceDoc } from "../controllers/service/_mesh.ts";
import { withControlPlane } from "./_plane.ts";
import { ensureNamespaces, MESH_CRDS } from "./_mesh_plane.ts";

Deno.test("every generated object is accepted by a real apiserver with Cilium and Istio CRDs", async (t) => {
  await withControlPlane(t, async (plane) => {
    using client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const docs = [
      serviceDoc("shop", "web", {
        ports: { http: { port: 80, targetPort: 8080 } },
        resources: {
          api: { direction: "outbound", name: "api", namespace: "payments", ports: ["grpc"] },
          cache: { direction: "both" },
        },
      }),
      serviceDoc("shop", "cache", {
        ports: { redis: { port: 6379 }, stats: { port: 9125, protocol: "UDP" } },
        resources: { web: { direction: "both" } },
      }),
      serviceDoc("payments", "api", {
        ports: { grpc: { port: 9090 }, http: { port: 80, targetPort: 8080 } },
        resources: { web: { direction: "inbound", namespace: "shop" } },
      }),
    ];
    const canary = LatticeServiceSchema.parse({
      ...docs[2],
      spec: {
        ...docs[2].spec,
        containers: {
          main: {
            image: "payments:1.0",
            command: ["/bin/api"],
            args: ["--port", "9090"],
            variables: { SELF: "${metadata.name}", WEB: "${resources.web.host}" },
            files: [{
              target: "/etc/api/config.yaml",
              mode: "0640",
              content: "name: ${metadata.name}\n",
            }],
            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
            readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
          },
        },
        replicas: { min: 2, max: 5 },
        deploy: {
          strategy: "canary",
          canary: { weight: 10, containers: { main: { image: "payments:1.1" } } },
        },
      },
    });
    const services = docs.map((d) => ({
      namespace: d.metadata.namespace,
      name: d.metadata.name,
      spec: LatticeServiceSchema.parse(d).spec,
    }));
    const index = meshIndex(services);
    const objects: KubeObject[] = [
      ...services.flatMap((s) => workloadObjects(s)),
      ...workloadObjects({ namespace: "payments", name: "api", spec: canary.spec }),
      ...canaryObjects({ namespace: "payments", name: "api", spec: canary.spec }),
      ...services.flatMap((s) => agreementsOf(s, index).inbound.flatMap((p) => pairPolicies(p))),
      ...defaultDenyObjects([
        "shop",
        "payments",
        "kube-system",
        "lattice-system",
        "capi-x",
        "istio-system",
      ]),
    ];
    await ensureNamespaces(client, [
      "shop",
      "payments",
      "lattice-system",
      "capi-x",
      "istio-system",
    ]);
    const kinds = new Set<string>();
    for (const obj of objects) {
      // Server-side apply: the server validates against the installed schema.
      const applied = await client.apply(obj, { fieldManager: "mesh-test" });
      equal(applied.metadata?.name, obj.metadata?.name);
      kinds.add(obj.kind ?? "");
      // What comes back keeps what was sent (nothing pruned as unknown by the schema).
      if (obj.spec !== undefined) {
        deepStrictEqual(
          pick(applied.spec, obj.spec),
          obj.spec,
          `${obj.kind} ${obj.metadata?.name}`,
        );
      }
    }
    deepStrictEqual([...kinds].sort(), [
      "AuthorizationPolicy",
      "CiliumClusterwideNetworkPolicy",
      "CiliumNetworkPolicy",
      "ConfigMap",
      "Deployment",
      "DestinationRule",
      "HorizontalPodAutoscaler",
      "Service",
      "ServiceAccount",
      "VirtualService",
    ]);
  }, { crds: MESH_CRDS });
});

/** The parts of `actual` that `expected` names (server defaults ignored). */
function pick(actual: unknown, expected: unknown): unknown {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return expected.map((e, i) => pick(actual[i], e));
  }
  if (expected && typeof expected === "object" && actual && typeof actual === "object") {
    return Object.fromEntries(
      Object.keys(expected).map((k) => [
        k,
        pick((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k]),
      ]),
    );
  }
  return actual;
}

Deno.test("the LatticeService and LatticeEnvironment CRDs refuse what zod refuses, naming the field", async (t) => {
  await withControlPlane(t, async (_plane, api) => {
    await api.json("POST", "/api/v1/namespaces", { body: { metadata: { name: "n" } } });
    const post = (spec: Record<string, unknown>) =>
      api.json<{ message?: string }>(
        "POST",
        "/apis/lattice.dev/v1alpha1/namespaces/n/latticeservices",
        {
          body: {
            apiVersion: "lattice.dev/v1alpha1",
            kind: "LatticeService",
            metadata: { name: "a" },
            spec: { containers: { main: { image: "x" } }, ...spec },
          },
        },
      );
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ resources: { b: { type: "service" } } }, /type service needs direction/],
      [{ resources: { db: { type: "postgres", direction: "inbound" } } }, /only for type service/],
      [
        { resources: { b: { type: "service", direction: "sideways" } } },
        /spec.resources.b.direction/,
      ],
      [
        { resources: { B: { type: "service", direction: "inbound" } } },
        /resources keys must be DNS-1123 labels/,
      ],
      [{ deploy: { strategy: "canary" } }, /strategy canary needs canary/],
      [{ replicas: { min: 3, max: 2 } }, /max must be >= min/],
      [{ service: { ports: { http: { port: 0 } } } }, /spec.service.ports.http.port/],
    ];
    for (const [spec, message] of cases) {
      const r = await post(spec);
      equal(r.status, 422, JSON.stringify(spec));
      match(r.body.message ?? "", message);
    }
    equal((await post({ resources: { b: { type: "service", direction: "both" } } })).status, 201);
    const env = await api.json<{ message?: string }>(
      "POST",
      "/apis/lattice.dev/v1alpha1/latticeenvironments",
      {
        body: {
          apiVersion: "lattice.dev/v1alpha1",
          kind: "LatticeEnvironment",
          metadata: { name: "prod" },
          spec: { namespaces: [] },
        },
      },
    );
    equal(env.status, 422);
  }, { crds: { lattice: true } });
});
