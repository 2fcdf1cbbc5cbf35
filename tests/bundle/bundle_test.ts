import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { LatticeClusterSchema } from "../../lib/api/mod.ts";
import {
  AGENT_SECRET_NAME,
  type BundleCluster,
  CAPI_INIT_NAME,
  childBundle,
  CNI_CONFIGMAP,
  cniObjects,
  installBundle,
  NAMESPACE,
  renderManifests,
} from "../../lib/bundle/mod.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { CLOUD_ADDON_LABEL } from "../../lib/bundle/cloud/mod.ts";
import { manifestsFile } from "../../scripts/generate.ts";
import { minimalClusterDocument, validClusterDocument } from "../api/fixtures.ts";

const AGENT = {
  certificatePem: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
  caBundlePem: "ca",
  grpcEndpoint: "cell.example:50051",
};

function bundleCluster(doc = minimalClusterDocument("east")): BundleCluster {
  const parsed = LatticeClusterSchema.parse(doc);
  return { name: parsed.metadata.name!, labels: parsed.metadata.labels, spec: parsed.spec };
}

// Lattice's own objects (the cloud add-ons of lib/bundle/cloud have their own tests).
const find = (objects: KubeObject[], kind: string, name?: string) =>
  objects.find((o) =>
    o.kind === kind && (name === undefined || o.metadata?.name === name) &&
    !o.metadata?.labels?.[CLOUD_ADDON_LABEL]
  );

/** Typed views of the bundle objects these tests read. */
interface Container {
  args: string[];
  image: string;
  env: { name: string; value?: string; valueFrom?: unknown }[];
  ports: { containerPort: number }[];
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  resources: { requests: { cpu?: string; memory?: string }; limits: { memory?: string } };
  securityContext: { allowPrivilegeEscalation: boolean };
}
interface Workload {
  spec: {
    replicas?: number;
    selector?: { matchLabels: Record<string, string> };
    template: {
      metadata?: { labels?: Record<string, string> };
      spec: {
        serviceAccountName: string;
        securityContext: { runAsNonRoot: boolean };
        containers: Container[];
      };
    };
  };
}
interface ServiceView {
  spec: { type: string; ports: { name: string; port: number; nodePort?: number }[] };
}
interface DataView {
  kind: string;
  metadata: { name: string };
  data: Record<string, string>;
}
interface RbacView {
  kind: string;
  metadata: { name: string };
  roleRef?: { name: string };
  subjects?: unknown[];
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
}

/** The object of `kind` (and `name`), seen as `T`; fails the test when it is missing. */
function view<T>(objects: KubeObject[], kind: string, name?: string): T {
  const obj = find(objects, kind, name);
  assert.ok(obj, `${kind} ${name ?? ""} in the bundle`);
  return obj as unknown as T;
}

Deno.test("child bundle order: Namespace, CRDs, ..., LatticeCluster, agent Secret last", () => {
  const objects = childBundle(bundleCluster(), AGENT);
  const kinds = objects.map((o) => o.kind);
  assert.equal(kinds[0], "Namespace");
  const lastCrd = kinds.lastIndexOf("CustomResourceDefinition");
  assert.ok(lastCrd > 0 && lastCrd < kinds.indexOf("ServiceAccount"));
  assert.ok(kinds.indexOf("LatticeCluster") > kinds.indexOf("Deployment"));
  const secret = objects.at(-1) as unknown as DataView;
  assert.equal(secret.kind, "Secret");
  assert.equal(secret.metadata.name, AGENT_SECRET_NAME);
  assert.deepEqual(Object.keys(secret.data).sort(), ["ca.crt", "cluster", "endpoint", "tls.crt"]);
  assert.equal(atob(secret.data.endpoint), "cell.example:50051");
});

Deno.test("every namespaced object lives in lattice-system", () => {
  const clusterScoped = new Set([
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "LatticeCluster",
    "CiliumLoadBalancerIPPool",
    "CiliumL2AnnouncementPolicy",
  ]);
  for (const obj of childBundle(bundleCluster(validClusterDocument()), AGENT)) {
    if (obj.metadata?.labels?.[CLOUD_ADDON_LABEL]) continue; // kube-system: tests/bundle/cloud_test.ts
    if (clusterScoped.has(obj.kind!)) assert.equal(obj.metadata?.namespace, undefined);
    else assert.equal(obj.metadata?.namespace, NAMESPACE, `${obj.kind} ${obj.metadata?.name}`);
  }
});

Deno.test("the child's LatticeCluster carries the spec only", () => {
  const cluster = bundleCluster(validClusterDocument());
  const own = view<{ spec: unknown; status?: unknown; metadata: unknown }>(
    childBundle(cluster, AGENT),
    "LatticeCluster",
  );
  assert.deepEqual(own.spec, cluster.spec);
  assert.equal(own.status, undefined);
  assert.deepEqual(own.metadata, { name: "us-prod-1", labels: cluster.labels });
});

Deno.test("operator Deployment: 2 replicas, leader election, probes, resources, hardened", () => {
  const dep = view<Workload>(installBundle(), "Deployment");
  assert.equal(dep.spec.replicas, 2);
  const c = dep.spec.template.spec.containers[0];
  assert.deepEqual(c.args, ["operator", "--leader-elect"]);
  assert.equal(c.livenessProbe.httpGet.path, "/healthz");
  assert.equal(c.readinessProbe.httpGet.path, "/readyz");
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(dep.spec.template.spec.serviceAccountName, "lattice-operator");
  assert.deepEqual(
    dep.spec.selector?.matchLabels,
    dep.spec.template.metadata?.labels && {
      "app.kubernetes.io/name": "lattice",
      "app.kubernetes.io/component": "operator",
    },
  );
});

Deno.test("RBAC: no cluster-admin, no wildcard over every group", () => {
  for (const obj of installBundle()) {
    const o = obj as unknown as RbacView;
    if (o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding") {
      assert.notEqual(o.roleRef?.name, "cluster-admin");
    }
    for (const rule of o.rules ?? []) {
      assert.ok(!rule.apiGroups.includes("*"), `${o.metadata.name}: apiGroups *`);
      assert.ok(!rule.verbs.includes("*"), `${o.metadata.name}: verbs *`);
      if (rule.apiGroups.includes("")) {
        assert.ok(!rule.resources.includes("*"), `${o.metadata.name}: core resources *`);
      }
    }
  }
});

Deno.test("Cilium LB-IPAM objects exist exactly when networking.default is set", () => {
  const without = childBundle(bundleCluster(), AGENT);
  assert.equal(find(without, "CiliumLoadBalancerIPPool"), undefined);
  const withNet = childBundle(bundleCluster(validClusterDocument()), AGENT);
  const pool = view<{ spec: { blocks: unknown } }>(withNet, "CiliumLoadBalancerIPPool");
  assert.deepEqual(pool.spec.blocks, [{ cidr: "172.18.255.1/32" }]);
  assert.ok(find(withNet, "CiliumL2AnnouncementPolicy"));
});

Deno.test("a cell child exposes its endpoints as its spec says", () => {
  const doc = validClusterDocument();
  doc.spec.cell!.ports = { https: 9443, grpc: 50052 };
  const svc = view<ServiceView>(childBundle(bundleCluster(doc), AGENT), "Service");
  assert.equal(svc.spec.type, "LoadBalancer");
  assert.deepEqual(svc.spec.ports.map((p) => p.port), [9443, 50052, 8081]);
});

Deno.test("a NodePort cell's Service ports use node ports equal to the ports", () => {
  const doc = validClusterDocument();
  doc.spec.cell = { service: { type: "NodePort" }, ports: { https: 31443, grpc: 31051 } };
  const svc = view<ServiceView>(childBundle(bundleCluster(doc), AGENT), "Service");
  assert.equal(svc.spec.type, "NodePort");
  assert.deepEqual(
    svc.spec.ports.map((p) => [p.name, p.port, p.nodePort]),
    [["https", 31443, 31443], ["grpc", 31051, 31051], ["metrics", 8081, undefined]],
  );
  const dep = view<Workload>(childBundle(bundleCluster(doc), AGENT), "Deployment");
  assert.deepEqual(
    dep.spec.template.spec.containers[0].ports.map((p) => p.containerPort),
    [8081, 31443, 31051],
  );
});

Deno.test("other Service types leave node ports to Kubernetes", () => {
  for (const serviceType of ["LoadBalancer", "ClusterIP"] as const) {
    const svc = view<ServiceView>(installBundle({ serviceType }), "Service");
    assert.ok(svc.spec.ports.every((p) => p.nodePort === undefined), serviceType);
  }
});

Deno.test("operator container: NODE_NAME from the downward API, extra args appended", () => {
  const args = ["--bootstrap-cell", "--cluster-name", "bootstrap", "--cell-host", "kind-node"];
  const dep = view<Workload>(installBundle({ extraArgs: args }), "Deployment");
  const c = dep.spec.template.spec.containers[0];
  assert.deepEqual(c.args, ["operator", "--leader-elect", ...args]);
  assert.deepEqual(c.env.find((e) => e.name === "NODE_NAME"), {
    name: "NODE_NAME",
    valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
  });
});

Deno.test("renderManifests round-trips through YAML", () => {
  const objects = installBundle();
  const text = renderManifests(objects, "# header");
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  assert.deepEqual(docs, JSON.parse(JSON.stringify(objects)));
});

Deno.test("manifests/lattice.yaml is up to date (deno task generate)", async () => {
  const root = new URL("../../", import.meta.url);
  const file = manifestsFile(root);
  assert.equal(await Deno.readTextFile(file.path), file.content);
});

Deno.test("cluster-admin only for the one-shot Cluster API install Job of a child", () => {
  const objects = childBundle(bundleCluster(), AGENT, { image: "example.com/lattice:1" });
  const admins = (objects as unknown as RbacView[]).filter((o) =>
    (o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding") &&
    o.roleRef?.name === "cluster-admin"
  );
  assert.equal(admins.length, 1);
  assert.equal(admins[0].metadata.name, CAPI_INIT_NAME);
  assert.deepEqual(admins[0].subjects, [
    { kind: "ServiceAccount", name: CAPI_INIT_NAME, namespace: NAMESPACE },
  ]);
  const job = view<Workload>(objects, "Job", CAPI_INIT_NAME);
  const pod = job.spec.template.spec;
  assert.equal(pod.serviceAccountName, CAPI_INIT_NAME);
  assert.equal(pod.containers[0].image, "example.com/lattice:1");
  assert.deepEqual(pod.containers[0].args, ["capi-init"]);
  assert.deepEqual(pod.containers[0].env[0], { name: "LATTICE_CLUSTER_NAME", value: "east" });
  assert.equal(pod.securityContext.runAsNonRoot, true, "restricted Pod Security holds");
  // The operator's own ServiceAccount is not the Job's.
  assert.notEqual(pod.serviceAccountName, "lattice-operator");
});

Deno.test("a cell's CNI comes first in the child bundle and is handed on", () => {
  const cni = [
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: cni, namespace: kube-system}",
    "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: cni-node, namespace: kube-system}",
  ].join("\n---\n");
  const objects = childBundle(bundleCluster(), AGENT, { cniManifests: cni });
  assert.deepEqual(
    objects.slice(0, 4).map((o) => `${o.kind}/${o.metadata?.name}`),
    [
      "Namespace/lattice-system",
      "ServiceAccount/cni",
      "DaemonSet/cni-node",
      "ConfigMap/lattice-cni",
    ],
  );
  const copy = view<DataView>(objects, "ConfigMap", CNI_CONFIGMAP.name);
  assert.equal(copy.data[CNI_CONFIGMAP.key], cni);
  assert.equal(find(childBundle(bundleCluster(), AGENT), "ConfigMap", "lattice-cni"), undefined);
  assert.throws(
    () => cniObjects("kind: DaemonSet\nmetadata: {name: x}", "cni.yaml"),
    /Cannot read cni\.yaml \(document 1\): a Kubernetes object needs apiVersion, kind and metadata\.name/,
  );
  assert.throws(() => cniObjects("a: [", "cni.yaml"), /Cannot read cni\.yaml \(document 1\): /);
  assert.deepEqual(cniObjects("---\n# only a comment\n", "empty.yaml"), []);
});
