import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  formatIssues,
  LatticeServiceSchema,
  LatticeServiceSpecSchema,
} from "../../../lib/api/mod.ts";
import {
  canaryObjects,
  defaultDenyObjects,
  expand,
  PlaceholderError,
  workloadObjects,
} from "../../../lib/controllers/service/mod.ts";
import type { KubeObject } from "../../../lib/kube/mod.ts";

const spec = (extra: Record<string, unknown> = {}) =>
  LatticeServiceSpecSchema.parse({
    containers: {
      main: {
        image: "app:1",
        command: ["/app"],
        args: ["-v"],
        variables: {
          SELF: "${metadata.name}.${metadata.namespace}",
          API: "${resources.api.host}:${resources.api.port}",
          LIT: "$${x}",
        },
        files: [{ target: "/etc/app.conf", mode: "0600", content: "svc=${metadata.name}" }, {
          target: "/etc/raw",
          content: "${keep}",
          noExpand: true,
        }],
      },
    },
    service: {
      ports: { http: { port: 80, targetPort: 8080 }, dns: { port: 53, protocol: "UDP" } },
    },
    resources: { api: { type: "service", direction: "outbound", namespace: "pay" } },
    ...extra,
  });

const kinds = (objs: KubeObject[]) => objs.map((o) => `${o.kind}/${o.metadata?.name}`);

Deno.test("a rolling service compiles to ServiceAccount, ConfigMap, Deployment and Service", () => {
  const objs = workloadObjects({
    name: "web",
    namespace: "shop",
    spec: spec(),
    portOf: () => 9090,
  });
  deepStrictEqual(kinds(objs), [
    "ServiceAccount/web",
    "ConfigMap/web-files",
    "Deployment/web",
    "Service/web",
  ]);
  const dep = objs[2].spec as {
    replicas: number;
    selector: unknown;
    template: {
      metadata: { labels: unknown };
      spec: { serviceAccountName: string; containers: Record<string, unknown>[]; volumes: unknown };
    };
  };
  equal(dep.replicas, 1);
  deepStrictEqual(dep.selector, {
    matchLabels: { "lattice.dev/service": "web", "lattice.dev/track": "stable" },
  });
  equal(dep.template.spec.serviceAccountName, "web");
  const c = dep.template.spec.containers[0];
  deepStrictEqual(c.env, [
    { name: "SELF", value: "web.shop" },
    { name: "API", value: "api.pay.svc.cluster.local:9090" },
    { name: "LIT", value: "${x}" },
  ]);
  deepStrictEqual(c.ports, [{ containerPort: 8080, protocol: "TCP" }, {
    containerPort: 53,
    protocol: "UDP",
  }]);
  deepStrictEqual(c.volumeMounts, [
    { name: "lattice-files", mountPath: "/etc/app.conf", subPath: "main-0", readOnly: true },
    { name: "lattice-files", mountPath: "/etc/raw", subPath: "main-1", readOnly: true },
  ]);
  deepStrictEqual(dep.template.spec.volumes, [{
    name: "lattice-files",
    configMap: {
      name: "web-files",
      items: [{ key: "main-0", path: "main-0", mode: 0o600 }, { key: "main-1", path: "main-1" }],
    },
  }]);
  deepStrictEqual(objs[1].data, { "main-0": "svc=web", "main-1": "${keep}" });
  deepStrictEqual((objs[3].spec as { ports: unknown }).ports, [
    { name: "http", port: 80, targetPort: 8080, protocol: "TCP" },
    { name: "dns", port: 53, targetPort: 53, protocol: "UDP" },
  ]);
  deepStrictEqual(canaryObjects({ name: "web", namespace: "shop", spec: spec() }), []);
});

Deno.test("replicas max > min adds an HPA and leaves the Deployment's count to it", () => {
  const objs = workloadObjects({
    name: "web",
    namespace: "shop",
    spec: spec({ replicas: { min: 2, max: 5 } }),
    portOf: () => 1,
  });
  const hpa = objs.find((o) => o.kind === "HorizontalPodAutoscaler")!;
  equal((hpa.spec as { minReplicas: number }).minReplicas, 2);
  equal((hpa.spec as { maxReplicas: number }).maxReplicas, 5);
  equal(
    (objs.find((o) => o.kind === "Deployment")!.spec as { replicas?: number }).replicas,
    undefined,
  );
});

Deno.test("canary adds a Deployment with the canary images and weighted Istio routing", () => {
  const s = spec({
    deploy: {
      strategy: "canary",
      canary: { weight: 25, replicas: 2, containers: { main: { image: "app:2" } } },
    },
  });
  const objs = canaryObjects({ name: "web", namespace: "shop", spec: s, portOf: () => 1 });
  deepStrictEqual(kinds(objs), [
    "Deployment/web-canary",
    "DestinationRule/web",
    "VirtualService/web",
  ]);
  const dep = objs[0].spec as {
    replicas: number;
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { image: string }[] };
    };
  };
  equal(dep.replicas, 2);
  equal(dep.template.spec.containers[0].image, "app:2");
  equal(dep.template.metadata.labels["lattice.dev/track"], "canary");
  deepStrictEqual(objs[1].spec, {
    host: "web.shop.svc.cluster.local",
    subsets: [{ name: "stable", labels: { "lattice.dev/track": "stable" } }, {
      name: "canary",
      labels: { "lattice.dev/track": "canary" },
    }],
  });
  deepStrictEqual(objs[2].spec, {
    hosts: ["web.shop.svc.cluster.local"],
    http: [{
      route: [
        { destination: { host: "web.shop.svc.cluster.local", subset: "stable" }, weight: 75 },
        { destination: { host: "web.shop.svc.cluster.local", subset: "canary" }, weight: 25 },
      ],
    }],
  });
});

Deno.test("placeholders: unknown ones and non-service resources are errors naming them", () => {
  const ctx = { name: "a", namespace: "n", resources: { db: { type: "postgres" } } };
  throws(
    () => expand("${nope}", ctx),
    (e) => e instanceof PlaceholderError && /\$\{nope\}: unknown/.test(e.message),
  );
  throws(() => expand("${resources.db.host}", ctx), /only type service resources/);
  throws(() => expand("${resources.x.host}", ctx), /no resource x/);
  throws(
    () =>
      expand("${resources.api.port}", {
        ...ctx,
        resources: { api: { type: "service", direction: "outbound" } },
      }),
    /has no port/,
  );
});

Deno.test("default deny: Cilium clusterwide, Istio root, allow in existing system namespaces", () => {
  const objs = defaultDenyObjects([
    "shop",
    "kube-system",
    "istio-system",
    "capi-b",
    "capi-a",
    "capital",
  ]);
  deepStrictEqual(objs[0].spec, {
    description: "Lattice mesh default deny: ingress to every endpoint outside the system " +
      "namespaces is dropped unless a pair policy allows it",
    endpointSelector: {
      matchExpressions: [{
        key: "k8s:io.kubernetes.pod.namespace",
        operator: "NotIn",
        values: [
          "kube-system",
          "cilium-system",
          "istio-system",
          "lattice-system",
          "cert-manager",
          "capi-a",
          "capi-b",
        ],
      }],
    },
    enableDefaultDeny: { ingress: true, egress: false },
    ingress: [{}],
  });
  deepStrictEqual(objs[1].metadata?.namespace, "istio-system");
  deepStrictEqual(objs[1].spec, {});
  deepStrictEqual(objs.slice(2).map((o) => [o.metadata?.namespace, o.spec]), [
    ["kube-system", { action: "ALLOW", rules: [{}] }],
    ["capi-a", { action: "ALLOW", rules: [{}] }],
    ["capi-b", { action: "ALLOW", rules: [{}] }],
  ]);
});

Deno.test("LatticeService validation mirrors the CRD's rules with field paths", () => {
  const doc = (spec: Record<string, unknown>) => ({
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeService",
    metadata: { name: "a", namespace: "n" },
    spec: { containers: { main: { image: "x" } }, ...spec },
  });
  const errors = (spec: Record<string, unknown>) => {
    const r = LatticeServiceSchema.safeParse(doc(spec));
    return r.success ? [] : formatIssues(r.error);
  };
  deepStrictEqual(errors({}), []);
  deepStrictEqual(errors({ resources: { b: { type: "service" } } }), [
    "spec.resources.b.direction: type service needs direction",
  ]);
  deepStrictEqual(errors({ resources: { db: { type: "postgres", direction: "inbound" } } }), [
    "spec.resources.db.direction: direction is only for type service",
  ]);
  deepStrictEqual(errors({ resources: { B: { type: "service", direction: "inbound" } } }), [
    "spec.resources.B: resources keys must be DNS-1123 labels",
  ]);
  deepStrictEqual(
    errors({ resources: { b: { type: "service", direction: "inbound", ports: ["http"] } } }),
    [
      "spec.resources.b.ports[0]: names no port of service.ports (have: none)",
    ],
  );
  deepStrictEqual(errors({ deploy: { strategy: "canary" } }), [
    "spec.deploy.canary: strategy canary needs canary (weight and images)",
  ]);
  deepStrictEqual(
    errors({
      deploy: { strategy: "canary", canary: { weight: 101, containers: { main: { image: "y" } } } },
    }),
    [
      "spec.deploy.canary.weight: must be <= 100",
    ],
  );
  deepStrictEqual(
    errors({
      deploy: { strategy: "canary", canary: { weight: 1, containers: { side: { image: "y" } } } },
    }),
    [
      "spec.deploy.canary.containers.side: names no container of spec.containers",
    ],
  );
  deepStrictEqual(errors({ replicas: { min: 3, max: 2 } }), [
    "spec.replicas.max: max must be >= min",
  ]);
  deepStrictEqual(errors({ containers: {} }), [
    "spec.containers: must have at least one container",
  ]);
});
