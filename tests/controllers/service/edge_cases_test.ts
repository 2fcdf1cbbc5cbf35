/**
 * The mesh's edge cases, each a clear condition: invalid ports, duplicate ports and
 * duplicate declarations, names Kubernetes would refuse, self-dependency, a peer in a
 * namespace that does not exist, and environment isolation.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  formatIssues,
  LatticeEnvironmentSchema,
  LatticeServiceSchema,
} from "../../../lib/api/mod.ts";
import {
  agreementsOf,
  type MeshIndex,
  meshIndex,
  type MeshService,
  pairPolicies,
  storeIndex,
} from "../../../lib/controllers/service/mod.ts";
import type { KubeObject } from "../../../lib/kube/mod.ts";
import { serviceDoc } from "./_mesh.ts";

type Doc = ReturnType<typeof serviceDoc>;

const errors = (doc: unknown) => {
  const r = LatticeServiceSchema.safeParse(doc);
  return r.success ? [] : formatIssues(r.error);
};

const parsed = (d: Doc): MeshService => ({
  namespace: d.metadata.namespace,
  name: d.metadata.name,
  spec: LatticeServiceSchema.parse(d).spec,
});

const http = { http: { port: 80, targetPort: 8080 } };

Deno.test("ports out of range, zero or duplicated are refused at their field", () => {
  for (const port of [0, -1, 65536, 1.5]) {
    const e = errors(serviceDoc("shop", "api", { ports: { http: { port } } }));
    equal(e.length, 1, `port ${port}: ${e}`);
    ok(e[0].startsWith("spec.service.ports.http.port: "), e[0]);
  }
  deepStrictEqual(
    errors(serviceDoc("shop", "api", { ports: { http: { port: 80, targetPort: 70000 } } })),
    ["spec.service.ports.http.targetPort: must be <= 65535"],
  );
  // One number twice with one protocol: the Service would be refused.
  deepStrictEqual(
    errors(serviceDoc("shop", "api", { ports: { http: { port: 80 }, web: { port: 80 } } })),
    ["spec.service.ports.web.port: 80/TCP is already service.ports.http"],
  );
  // The same number over TCP and UDP is two ports (DNS does it).
  deepStrictEqual(
    errors(serviceDoc("shop", "dns", {
      ports: { tcp: { port: 53 }, udp: { port: 53, protocol: "UDP" } },
    })),
    [],
  );
});

Deno.test("a dependency declared twice towards one peer is refused; both directions are fine", () => {
  deepStrictEqual(
    errors(serviceDoc("shop", "web", {
      resources: {
        api: { direction: "outbound" },
        "api-again": { direction: "both", name: "api" },
      },
    })),
    [
      "spec.resources.api-again: names the same service as resources.api (outbound); " +
      "declare each dependency once",
    ],
  );
  deepStrictEqual(
    errors(serviceDoc("shop", "web", {
      resources: {
        "api-in": { direction: "inbound", name: "api" },
        "api-out": { direction: "outbound", name: "api" },
        "api-other-ns": { direction: "outbound", name: "api", namespace: "pay" },
      },
    })),
    [],
  );
});

Deno.test("names: a LatticeService is a DNS-1035 label (it names a Service); policy names fit", () => {
  ok(errors(serviceDoc("shop", "1api"))[0].startsWith("metadata.name: must be a DNS-1035"));
  ok(errors(serviceDoc("shop", "a".repeat(64)))[0].startsWith("metadata.name: must be no more"));
  deepStrictEqual(errors(serviceDoc("shop", "a".repeat(63))), []);
  // The longest names give policy names and labels Kubernetes accepts.
  const [ns, caller, callee] = ["n".repeat(63), "c".repeat(63), "s".repeat(63)];
  const docs = [
    serviceDoc(ns, caller, { resources: { [callee]: { direction: "outbound" } } }),
    serviceDoc(ns, callee, { ports: http, resources: { [caller]: { direction: "inbound" } } }),
  ].map(parsed);
  const index = meshIndex(docs);
  const [pair] = agreementsOf(docs[1], index).inbound;
  for (const policy of pairPolicies(pair)) {
    const name = policy.metadata?.name ?? "";
    ok(name.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name), name);
    for (const value of Object.values(policy.metadata?.labels ?? {})) ok(value.length <= 63);
  }
});

Deno.test("a service that declares itself gets a pending dependency, never a policy", () => {
  const web = parsed(serviceDoc("shop", "web", {
    ports: http,
    resources: { web: { direction: "both" } },
  }));
  const a = agreementsOf(web, meshIndex([web]));
  deepStrictEqual(a.inbound, []);
  deepStrictEqual(a.pending.map((p) => [p.direction, p.missing]), [
    ["outbound", "a service cannot declare itself"],
    ["inbound", "a service cannot declare itself"],
  ]);
});

Deno.test("a peer in a namespace that does not exist is named as such", () => {
  const web = parsed(serviceDoc("shop", "web", {
    resources: { ledger: { direction: "outbound", namespace: "pay" } },
  }));
  const namespaces = new Map<string, KubeObject>([["shop", { metadata: { name: "shop" } }]]);
  const services = new Map([["shop/web", { metadata: { name: "web" }, spec: web.spec }]]);
  const index: MeshIndex = storeIndex(
    { get: (k) => services.get(k) as never },
    new Map(),
    { get: (k) => namespaces.get(k), isReady: true },
  );
  deepStrictEqual(agreementsOf(web, index).pending, [{
    service: "pay/ledger",
    direction: "outbound",
    missing: "namespace pay does not exist, so neither does LatticeService pay/ledger",
  }]);
  // Once the namespace exists, the service is what is missing.
  namespaces.set("pay", { metadata: { name: "pay" } });
  equal(agreementsOf(web, index).pending[0].missing, "LatticeService pay/ledger does not exist");
  // Before Namespaces are listed nothing is claimed about them.
  const unknown = storeIndex({ get: (k) => services.get(k) as never }, new Map(), {
    get: () => undefined,
    isReady: false,
  });
  equal(agreementsOf(web, unknown).pending[0].missing, "LatticeService pay/ledger does not exist");
});

Deno.test("environments: no pair across environments unless both sides name the other's", () => {
  const envs = new Map([["shop", "prod"], ["qa", "staging"]]);
  const build = (callerEnv?: string, calleeEnv?: string) => {
    const docs = [
      serviceDoc("qa", "probe", {
        resources: { api: { direction: "outbound", namespace: "shop", environment: callerEnv } },
      }),
      serviceDoc("shop", "api", {
        ports: http,
        resources: { probe: { direction: "inbound", namespace: "qa", environment: calleeEnv } },
      }),
    ].map(parsed);
    return agreementsOf(docs[1], meshIndex(docs, envs));
  };
  deepStrictEqual(build().inbound, []);
  deepStrictEqual(build("prod").inbound, []);
  deepStrictEqual(build(undefined, "staging").inbound, []);
  equal(
    build("prod").pending[0].missing,
    "crossing environments (staging → prod) needs resources.probe.environment: staging " +
      "on the callee",
  );
  equal(build("prod", "staging").inbound.length, 1);
  // Naming the wrong environment is no agreement either.
  deepStrictEqual(build("dev", "staging").inbound, []);
});

Deno.test("environments cannot claim system namespaces the mesh leaves open", () => {
  const env = (namespaces: string[]) =>
    LatticeEnvironmentSchema.safeParse({
      apiVersion: "lattice.dev/v1alpha1",
      kind: "LatticeEnvironment",
      metadata: { name: "prod" },
      spec: { namespaces },
    });
  const issues = (namespaces: string[]) => {
    const r = env(namespaces);
    return r.success ? [] : formatIssues(r.error);
  };
  deepStrictEqual(issues(["shop", "pay"]), []);
  const refused = issues(["shop", "kube-system", "capi-edge"]);
  equal(refused.length, 2);
  ok(refused[0].startsWith("spec.namespaces[1]: system namespaces (kube-system"), refused[0]);
  ok(refused[1].startsWith("spec.namespaces[2]: "), refused[1]);
});
