import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { LatticeServiceSchema } from "../../../lib/api/mod.ts";
import {
  agreementsOf,
  allPairs,
  meshIndex,
  type MeshService,
  pairPolicies,
} from "../../../lib/controllers/service/mod.ts";
import type { KubeObject } from "../../../lib/kube/mod.ts";
import { serviceDoc } from "./_mesh.ts";

type Doc = ReturnType<typeof serviceDoc>;

function mesh(docs: Doc[], envs: Record<string, string> = {}) {
  const services: MeshService[] = docs.map((d) => {
    const parsed = LatticeServiceSchema.parse(d);
    return { namespace: d.metadata.namespace, name: d.metadata.name, spec: parsed.spec };
  });
  const index = meshIndex(services, new Map(Object.entries(envs)));
  const policies: KubeObject[] = allPairs(services, index).flatMap((p) => pairPolicies(p));
  const of = (ns: string, name: string) =>
    agreementsOf(services.find((s) => s.namespace === ns && s.name === name)!, index);
  return { policies, of };
}

const http = { http: { port: 80, targetPort: 8080 } };

Deno.test("a bilateral agreement makes exactly one CiliumNetworkPolicy and one AuthorizationPolicy", () => {
  const { policies, of } = mesh([
    serviceDoc("shop", "web", { resources: { api: { direction: "outbound" } } }),
    serviceDoc("shop", "api", { ports: http, resources: { web: { direction: "inbound" } } }),
  ]);
  const meta = {
    name: "allow.shop.web.to.api",
    namespace: "shop",
    labels: {
      "app.kubernetes.io/managed-by": "lattice-mesh",
      "lattice.dev/service": "api",
      "lattice.dev/caller": "web",
      "lattice.dev/caller-namespace": "shop",
    },
  };
  assertEquals(policies, [{
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: meta,
    spec: {
      description: "Lattice mesh: shop/web may call shop/api (both sides agree)",
      endpointSelector: { matchLabels: { "k8s:io.cilium.k8s.policy.serviceaccount": "api" } },
      ingress: [{
        fromEndpoints: [{
          matchLabels: {
            "k8s:io.cilium.k8s.policy.serviceaccount": "web",
            "k8s:io.kubernetes.pod.namespace": "shop",
          },
        }],
        toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }] }],
      }],
    },
  }, {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: meta,
    spec: {
      selector: { matchLabels: { "lattice.dev/service": "api" } },
      action: "ALLOW",
      rules: [{
        from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }],
        to: [{ operation: { ports: ["8080"] } }],
      }],
    },
  }]);
  assertEquals(of("shop", "web").agreed, [{
    service: "shop/api",
    direction: "outbound",
    ports: [8080],
  }]);
  assertEquals(of("shop", "api").agreed, [{
    service: "shop/web",
    direction: "inbound",
    ports: [8080],
  }]);
  assertEquals(of("shop", "api").pending, []);
});

Deno.test("one-sided declarations make no policy and name the missing half", () => {
  const { policies, of } = mesh([
    serviceDoc("shop", "web", { resources: { api: { direction: "outbound" } } }),
    serviceDoc("shop", "api", { ports: http, resources: { batch: { direction: "inbound" } } }),
    serviceDoc("jobs", "batch", { resources: {} }),
  ]);
  assertEquals(policies, []);
  assertEquals(of("shop", "web").pending, [{
    service: "shop/api",
    direction: "outbound",
    missing: "shop/api must declare resources.web: {type: service, direction: inbound}",
  }]);
  // api names shop/batch (same namespace by default), which does not exist.
  assertEquals(of("shop", "api").pending, [{
    service: "shop/batch",
    direction: "inbound",
    missing: "LatticeService shop/batch does not exist",
  }]);
});

Deno.test("cross-namespace references agree when both name the other's namespace", () => {
  const { policies, of } = mesh([
    serviceDoc("shop", "web", {
      resources: { pay: { direction: "outbound", name: "api", namespace: "payments" } },
    }),
    serviceDoc("payments", "api", {
      ports: { grpc: { port: 9090 } },
      resources: { web: { direction: "inbound", namespace: "shop" } },
    }),
    serviceDoc("payments", "ledger", { resources: { api: { direction: "outbound" } } }),
  ]);
  assertEquals(policies.map((p) => `${p.kind} ${p.metadata?.namespace}/${p.metadata?.name}`), [
    "CiliumNetworkPolicy payments/allow.shop.web.to.api",
    "AuthorizationPolicy payments/allow.shop.web.to.api",
  ]);
  const cnp = policies[0].spec as { ingress: { fromEndpoints: unknown[] }[] };
  assertEquals(cnp.ingress[0].fromEndpoints, [{
    matchLabels: {
      "k8s:io.cilium.k8s.policy.serviceaccount": "web",
      "k8s:io.kubernetes.pod.namespace": "shop",
    },
  }]);
  const ap = policies[1].spec as { rules: { from: unknown[] }[] };
  assertEquals(ap.rules[0].from, [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }]);
  assertEquals(
    of("payments", "ledger").pending[0].missing,
    "payments/api must declare resources.ledger: {type: service, direction: inbound}",
  );
});

Deno.test("direction both on both sides makes two pairs, one per callee", () => {
  const { policies } = mesh([
    serviceDoc("mesh", "a", { ports: http, resources: { b: { direction: "both" } } }),
    serviceDoc("mesh", "b", {
      ports: { grpc: { port: 9090 } },
      resources: { a: { direction: "both" } },
    }),
  ]);
  assertEquals(policies.map((p) => `${p.kind} ${p.metadata?.name}`).sort(), [
    "AuthorizationPolicy allow.mesh.a.to.b",
    "AuthorizationPolicy allow.mesh.b.to.a",
    "CiliumNetworkPolicy allow.mesh.a.to.b",
    "CiliumNetworkPolicy allow.mesh.b.to.a",
  ]);
  const ports = (name: string) =>
    JSON.stringify(
      (policies.find((p) => p.kind === "CiliumNetworkPolicy" && p.metadata?.name === name)!
        .spec as { ingress: { toPorts: unknown }[] }).ingress[0].toPorts,
    );
  assertEquals(
    ports("allow.mesh.a.to.b"),
    JSON.stringify([{ ports: [{ port: "9090", protocol: "TCP" }] }]),
  );
  assertEquals(
    ports("allow.mesh.b.to.a"),
    JSON.stringify([{ ports: [{ port: "8080", protocol: "TCP" }] }]),
  );
});

Deno.test("only the ports both sides allow are opened; none in common is pending", () => {
  const ports = {
    http: { port: 80, targetPort: 8080 },
    grpc: { port: 9090 },
    metrics: { port: 9100, protocol: "UDP" as const },
  };
  const { policies, of } = mesh([
    serviceDoc("m", "a", { resources: { b: { direction: "outbound", ports: ["http", "grpc"] } } }),
    serviceDoc("m", "b", {
      ports,
      resources: {
        a: { direction: "inbound", ports: ["grpc", "metrics"] },
        c: { direction: "inbound", ports: ["metrics"] },
      },
    }),
    serviceDoc("m", "c", { resources: { b: { direction: "outbound", ports: ["http"] } } }),
    serviceDoc("m", "d", { resources: { b: { direction: "outbound", ports: ["nope"] } } }),
  ]);
  assertEquals(policies.length, 2);
  assertEquals((policies[0].spec as { ingress: { toPorts: unknown }[] }).ingress[0].toPorts, [{
    ports: [{ port: "9090", protocol: "TCP" }],
  }]);
  assertEquals((policies[1].spec as { rules: { to: unknown }[] }).rules[0].to, [{
    operation: { ports: ["9090"] },
  }]);
  assertEquals(of("m", "c").pending[0].missing, "the two sides' ports have no port in common");
  assertMatch(of("m", "d").pending[0].missing ?? "", /m\/b must declare resources\.d/);
});

Deno.test("services in different environments need both sides to name the other's environment", () => {
  const envs = { prod: "prod", stage: "staging" };
  const one = mesh([
    serviceDoc("stage", "a", { resources: { b: { direction: "outbound", namespace: "prod" } } }),
    serviceDoc("prod", "b", {
      ports: http,
      resources: { a: { direction: "inbound", namespace: "stage" } },
    }),
  ], envs);
  assertEquals(one.policies, []);
  assertEquals(
    one.of("stage", "a").pending[0].missing,
    "crossing environments (staging → prod) needs resources.b.environment: prod on the caller " +
      "and resources.a.environment: staging on the callee",
  );
  const both = mesh([
    serviceDoc("stage", "a", {
      resources: { b: { direction: "outbound", namespace: "prod", environment: "prod" } },
    }),
    serviceDoc("prod", "b", {
      ports: http,
      resources: { a: { direction: "inbound", namespace: "stage", environment: "staging" } },
    }),
  ], envs);
  assertEquals(both.policies.length, 2);
});
