import assert from "node:assert/strict";
import type { KubeObject } from "../../lib/kube/types.ts";
import { buildMoveGraph, type MoveGraph, PivotGraphError } from "../../lib/pivot/graph.ts";
import { clusterFixture, withFakeUids } from "./fixtures.ts";

const NS = "capi-alpha";

function keys(graph: MoveGraph): string[] {
  return graph.nodes.map((n) => `${n.identity.kind}/${n.identity.name}`);
}

function assertOwnersFirst(graph: MoveGraph): void {
  const position = new Map(graph.nodes.map((n, i) => [n.uid, i]));
  for (const [i, n] of graph.nodes.entries()) {
    for (const ref of n.object.metadata?.ownerReferences ?? []) {
      const at = position.get(ref.uid);
      assert.ok(at !== undefined && at < i, `${n.identity.name} before its owner ${ref.name}`);
    }
  }
}

function obj(
  kind: string,
  name: string,
  extra: Partial<KubeObject> = {},
  apiVersion = "v1",
): KubeObject {
  const { metadata, ...rest } = extra;
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: NS, uid: `uid:${kind}/${name}`, ...metadata },
    ...rest,
  };
}

function owned(owner: KubeObject) {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata!.name!,
    uid: owner.metadata!.uid!,
  };
}

const cluster = (name: string, spec: Record<string, unknown> = {}) =>
  obj("Cluster", name, { spec }, "cluster.x-k8s.io/v1beta2");

Deno.test("moves the whole generated cluster, owners before dependents", () => {
  const objects = withFakeUids(clusterFixture("alpha", NS, { extras: true }));
  const graph = buildMoveGraph(objects, { clusterName: "alpha", namespace: NS });
  assert.equal(graph.nodes.length, 27);
  assert.deepEqual(
    new Set(keys(graph)),
    new Set(objects.map((o) => `${o.kind}/${o.metadata!.name}`)),
  );
  assertOwnersFirst(graph);
  assert.equal(graph.nodes[0].identity.kind, "Cluster");
  assert.equal(graph.cluster.identity.name, "alpha");
  // The soft-owned ConfigMap comes after its Cluster.
  const cm = graph.nodes.find((n) => n.identity.name === "alpha-cni")!;
  assert.equal(cm.level, 1);
  assert.ok(graph.nodes.every((n) => !n.keepOnSource && !n.blocking));
});

Deno.test("order is deterministic whatever the input order", () => {
  const objects = withFakeUids(clusterFixture("alpha", NS, { workers: 3 }));
  const a = keys(buildMoveGraph(objects, { clusterName: "alpha", namespace: NS }));
  const b = keys(buildMoveGraph([...objects].reverse(), { clusterName: "alpha", namespace: NS }));
  assert.deepEqual(a, b);
});

Deno.test("leaves another cluster's objects, including name-prefixed secrets", () => {
  const objects = [
    ...withFakeUids(clusterFixture("alpha", NS, { extras: true })),
    ...withFakeUids(clusterFixture("alpha-b", NS, { extras: true })).map((o) => {
      o.metadata!.uid = `b:${o.metadata!.uid}`;
      for (const r of o.metadata!.ownerReferences ?? []) r.uid = `b:${r.uid}`;
      return o;
    }),
    obj("Secret", "alpha-b-extra"),
    obj("Secret", "alpha-extra"),
    obj("Secret", "unrelated"),
  ];
  const graph = buildMoveGraph(objects, { clusterName: "alpha", namespace: NS });
  const names = keys(graph);
  assert.equal(graph.nodes.length, 28);
  assert.ok(names.includes("Secret/alpha-extra"));
  assert.ok(!names.includes("Secret/alpha-b-extra"), "longest cluster-name prefix wins");
  assert.ok(!names.includes("Secret/unrelated"));
  assert.ok(!names.some((n) => n.includes("alpha-b")));
});

Deno.test("a cycle is refused with the objects in it", () => {
  const a = obj("ConfigMap", "alpha-a");
  const b = obj("ConfigMap", "alpha-b");
  const c = cluster("alpha");
  a.metadata!.ownerReferences = [owned(c), owned(b)];
  b.metadata!.ownerReferences = [owned(a)];
  let error: unknown;
  try {
    buildMoveGraph([c, a, b], { clusterName: "alpha", namespace: NS });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof PivotGraphError);
  assert.deepEqual(error.cycle, [`ConfigMap ${NS}/alpha-a`, `ConfigMap ${NS}/alpha-b`]);
  assert.match(
    error.message,
    /ownership cycle among: ConfigMap capi-alpha\/alpha-a, ConfigMap capi-alpha\/alpha-b/,
  );
});

Deno.test("an owner that is not in the namespace is refused, not skipped", () => {
  const c = cluster("alpha");
  const s = obj("Secret", "alpha-kubeconfig", {
    metadata: {
      ownerReferences: [owned(c), {
        apiVersion: "v1",
        kind: "ConfigMap",
        name: "gone",
        uid: "uid:gone",
      }],
    },
  });
  try {
    buildMoveGraph([c, s], { clusterName: "alpha", namespace: NS });
    assert.fail("expected PivotGraphError");
  } catch (error) {
    assert.ok(error instanceof PivotGraphError);
    assert.deepEqual(error.unplaceable, [`Secret ${NS}/alpha-kubeconfig → ConfigMap ${NS}/gone`]);
  }
  // While deleting the source, a half-deleted graph is expected: missing owners are dropped.
  const graph = buildMoveGraph([c, s], {
    clusterName: "alpha",
    namespace: NS,
    allowMissingOwners: true,
  });
  assert.equal(graph.nodes.length, 2);
});

Deno.test("an owner that exists but stays behind is refused", () => {
  const alpha = cluster("alpha");
  const beta = cluster("beta");
  const shared = obj("ConfigMap", "shared", {
    metadata: { ownerReferences: [owned(alpha), owned(beta)] },
  });
  assert.throws(
    () => buildMoveGraph([alpha, beta, shared], { clusterName: "alpha", namespace: NS }),
    /owners cannot be placed: ConfigMap capi-alpha\/shared → Cluster capi-alpha\/beta/,
  );
});

Deno.test("owner references to lattice.dev are dropped, not followed", () => {
  const c = cluster("alpha");
  c.metadata!.ownerReferences = [{
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    name: "alpha",
    uid: "x",
  }];
  const graph = buildMoveGraph([c], { clusterName: "alpha", namespace: NS });
  assert.equal(graph.nodes.length, 1);
});

Deno.test("move and move-hierarchy labels, on objects and on types", () => {
  const c = cluster("alpha");
  const labelled = obj("ConfigMap", "settings", {
    metadata: { labels: { "clusterctl.cluster.x-k8s.io/move": "" } },
  });
  const root = obj("Widget", "root", {}, "example.io/v1");
  root.metadata!.labels = { "clusterctl.cluster.x-k8s.io/move-hierarchy": "" };
  const child = obj("Secret", "root-child", { metadata: { ownerReferences: [owned(root)] } });
  const typed = obj("Gadget", "g", {}, "example.io/v1");
  const typedHierarchy = obj("Gizmo", "z", {}, "example.io/v1");
  const gizmoChild = obj("ConfigMap", "z-child", {
    metadata: { ownerReferences: [owned(typedHierarchy)] },
  });
  const plain = obj("Gadget2", "not-moved", {}, "example.io/v1");
  const other = cluster("beta");
  const othersLabelled = obj("ConfigMap", "beta-settings", {
    metadata: {
      labels: { "clusterctl.cluster.x-k8s.io/move": "", "cluster.x-k8s.io/cluster-name": "beta" },
    },
  });
  const graph = buildMoveGraph(
    [c, labelled, root, child, typed, typedHierarchy, gizmoChild, plain, other, othersLabelled],
    {
      clusterName: "alpha",
      namespace: NS,
      types: [
        { group: "example.io", kind: "Gadget", forceMove: true },
        { group: "example.io", kind: "Gizmo", forceMoveHierarchy: true },
      ],
    },
  );
  assert.deepEqual(keys(graph).sort(), [
    "Cluster/alpha",
    "ConfigMap/settings",
    "ConfigMap/z-child",
    "Gadget/g",
    "Gizmo/z",
    "Secret/root-child",
    "Widget/root",
  ]);
});

Deno.test("the ClusterClass moves first; shared, it stays on the source with its templates", () => {
  const cc = obj("ClusterClass", "quick", {}, "cluster.x-k8s.io/v1beta2");
  const tmpl = obj(
    "DockerClusterTemplate",
    "quick",
    { metadata: { ownerReferences: [owned(cc)] } },
    "infrastructure.cluster.x-k8s.io/v1beta2",
  );
  const alpha = cluster("alpha", { topology: { classRef: { name: "quick" } } });
  const alone = buildMoveGraph([alpha, cc, tmpl], { clusterName: "alpha", namespace: NS });
  assert.deepEqual(keys(alone), [
    "ClusterClass/quick",
    "Cluster/alpha",
    "DockerClusterTemplate/quick",
  ]);
  assert.equal(alone.clusterClasses.length, 1);
  assert.ok(alone.nodes.every((n) => !n.keepOnSource));

  const beta = cluster("beta", { topology: { class: "quick" } });
  const shared = buildMoveGraph([alpha, beta, cc, tmpl], { clusterName: "alpha", namespace: NS });
  assert.deepEqual(keys(shared), [
    "ClusterClass/quick",
    "Cluster/alpha",
    "DockerClusterTemplate/quick",
  ]);
  assert.deepEqual(shared.nodes.filter((n) => n.keepOnSource).map((n) => n.identity.name), [
    "quick",
    "quick",
  ]);
});

Deno.test("block-move annotations are reported", () => {
  const objects = withFakeUids(clusterFixture("alpha", NS));
  const machine = objects.find((o) => o.kind === "DevMachine")!;
  machine.metadata!.annotations = { "clusterctl.cluster.x-k8s.io/block-move": "" };
  const graph = buildMoveGraph(objects, { clusterName: "alpha", namespace: NS });
  assert.deepEqual(graph.blocking.map((n) => n.identity.name), [machine.metadata!.name]);
});

Deno.test("a missing Cluster is an error", () => {
  assert.throws(
    () => buildMoveGraph([cluster("beta")], { clusterName: "alpha", namespace: NS }),
    /Cannot build the move graph: Cluster capi-alpha\/alpha not found/,
  );
});
