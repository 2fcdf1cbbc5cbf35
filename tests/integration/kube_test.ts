/**
 * lib/kube against a real kube-apiserver: errors, apply, status, finalizers, events,
 * discovery of core, built-in and custom resources.
 */
import assert from "node:assert/strict";
import {
  addFinalizer,
  ApiError,
  EventRecorder,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isNotFound,
  KubeClient,
  type KubeObject,
  removeFinalizer,
} from "../../lib/kube/mod.ts";
import { withControlPlane } from "./_plane.ts";

const widgetCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
  spec: {
    group: "example.com",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    scope: "Namespaced",
    versions: [{
      name: "v1",
      served: true,
      storage: true,
      subresources: { status: {} },
      schema: {
        openAPIV3Schema: {
          type: "object",
          properties: {
            spec: { type: "object", properties: { size: { type: "integer", minimum: 0 } } },
            status: { type: "object", properties: { phase: { type: "string" } } },
          },
        },
      },
    }],
  },
};

/** Waits until discovery serves the CRD's kind. */
async function waitForCrd(client: KubeClient) {
  for (let i = 0; i < 100; i++) {
    try {
      return await client.resourceFor("example.com/v1", "Widget");
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error("Cannot find Widget: CRD never served");
}

Deno.test("KubeClient against a real control plane", async (t) => {
  await withControlPlane(t, async (plane) => {
    using client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const fromText = KubeClient.fromKubeconfig(plane.kubeconfig);
    fromText.close();
    assert.equal(client.server, plane.server);
    const cms = await client.resourceFor("v1", "ConfigMap");
    assert.deepEqual(cms, {
      group: "",
      version: "v1",
      plural: "configmaps",
      kind: "ConfigMap",
      namespaced: true,
    });

    await t.step(
      "typed errors: NotFound, AlreadyExists, Invalid with causes, Conflict",
      async () => {
        const nf = await client.get(cms, "missing", "default").catch((e) => e);
        assert.ok(nf instanceof ApiError && isNotFound(nf), String(nf));
        const obj = {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "a", namespace: "default" },
        };
        const created = await client.create(obj);
        assert.ok(isAlreadyExists(await client.create(obj).catch((e) => e)));
        const invalid = await client.create({
          ...obj,
          metadata: { name: "Bad_Name", namespace: "default" },
        })
          .catch((e) => e);
        assert.ok(isInvalid(invalid));
        assert.equal(invalid.causes[0].field, "metadata.name");
        const updated = await client.replace({ ...created, data: { k: "1" } });
        const stale = await client.replace({ ...created, data: { k: "2" } }).catch((e) => e);
        assert.ok(isConflict(stale), String(stale));
        assert.equal((updated as { data?: Record<string, string> }).data?.k, "1");
        await client.delete(cms, "a", "default", { propagationPolicy: "Background" });
        await client.delete(cms, "a", "default", { ignoreNotFound: true });
        assert.ok(isNotFound(await client.delete(cms, "a", "default").catch((e) => e)));
      },
    );

    await t.step("server-side apply as manager lattice; dry run changes nothing", async () => {
      const obj = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "applied", namespace: "default" },
        data: { a: "1" },
      };
      const first = await client.apply(obj);
      assert.equal(first.data.a, "1");
      const managers = (first.metadata as { managedFields?: { manager: string }[] }).managedFields;
      assert.ok(managers?.some((m) => m.manager === "lattice"));
      await client.apply({ ...obj, data: { a: "2" } }, { dryRun: true });
      assert.equal((await client.get<typeof obj>(cms, "applied", "default")).data.a, "1");
      // Another manager takes the field; force (the default) takes it back.
      await client.apply({ ...obj, data: { a: "other" } }, {
        fieldManager: "someone",
        force: true,
      });
      const conflict = await client.apply({ ...obj, data: { a: "3" } }, { force: false })
        .catch((e) => e);
      assert.ok(isConflict(conflict), String(conflict));
      assert.equal((await client.apply({ ...obj, data: { a: "3" } })).data.a, "3");
      const list = await client.list(cms, { namespace: "default", labelSelector: "none=here" });
      assert.deepEqual(list.items, []);
      assert.ok(list.metadata.resourceVersion);
    });

    await t.step("custom resources: discovery after CRD install, status apply/patch", async () => {
      await client.create(widgetCrd);
      const widgets = await waitForCrd(client);
      assert.equal(widgets.plural, "widgets");
      const w = await client.create({
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "w1", namespace: "default" },
        spec: { size: 1 },
      });
      assert.ok(isInvalid(
        await client.replace({ ...w, spec: { size: -1 } }).catch((e) => e),
      ));
      const patched = await client.patchStatus<KubeObject & { status?: { phase?: string } }>(
        widgets,
        "w1",
        "default",
        { status: { phase: "Ready" } },
      );
      assert.equal(patched.status?.phase, "Ready");
      const applied = await client.applyStatus({
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "w1", namespace: "default" },
        status: { phase: "Applied" },
      });
      assert.equal((applied as { status?: { phase?: string } }).status?.phase, "Applied");
    });

    await t.step(
      "finalizers: add is idempotent, a stale object conflicts, remove works",
      async () => {
        const obj = await client.create<KubeObject>({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "fin", namespace: "default" },
        });
        const withFin = await addFinalizer(client, cms, obj, "example.com/cleanup");
        assert.deepEqual(withFin.metadata?.finalizers, ["example.com/cleanup"]);
        assert.equal(await addFinalizer(client, cms, withFin, "example.com/cleanup"), withFin);
        assert.ok(
          isConflict(await addFinalizer(client, cms, obj, "example.com/b").catch((e) => e)),
        );
        await client.delete(cms, "fin", "default");
        const deleting = await client.get<KubeObject>(cms, "fin", "default");
        assert.ok(deleting.metadata?.deletionTimestamp, "held by the finalizer");
        await removeFinalizer(client, cms, deleting, "example.com/cleanup");
        assert.ok(isNotFound(await client.get(cms, "fin", "default").catch((e) => e)));
      },
    );

    await t.step("events.k8s.io/v1: repeats fold into a series", async () => {
      const target = await client.get<KubeObject>(cms, "applied", "default");
      const recorder = new EventRecorder(client, { component: "lattice-test", host: "pod-0" });
      const details = {
        type: "Warning" as const,
        reason: "Broken",
        note: "it broke",
        action: "Check",
      };
      await recorder.record(target, details);
      await recorder.record(target, details);
      await recorder.record(target, { ...details, reason: "Fixed", type: "Normal" });
      const events = await client.list<Record<string, unknown>>(
        await client.resourceFor("events.k8s.io/v1", "Event"),
        { namespace: "default" },
      );
      const broken = events.items.filter((e) => e.reason === "Broken");
      assert.equal(broken.length, 1);
      assert.equal((broken[0].series as { count: number }).count, 2);
      assert.equal(broken[0].reportingController, "lattice-test");
      assert.equal((broken[0].regarding as { name: string }).name, "applied");
      assert.equal(events.items.filter((e) => e.reason === "Fixed").length, 1);
    });
  });
});

Deno.test("in-cluster credentials come from the service-account files and the environment", async () => {
  await withControlPlane(undefined, async (plane, api) => {
    // Mint a real service-account token with cluster-admin so the path is end to end.
    await api.kubectl(["create", "serviceaccount", "op", "-n", "default"]);
    await api.kubectl([
      "create",
      "clusterrolebinding",
      "op-admin",
      "--clusterrole=cluster-admin",
      "--serviceaccount=default:op",
    ]);
    const token = (await api.kubectl(["create", "token", "op", "-n", "default"])).stdout.trim();
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/token`, token);
      await Deno.writeTextFile(`${dir}/ca.crt`, plane.caCertPem);
      const port = new URL(plane.server).port;
      using client = await KubeClient.inCluster({
        env: { KUBERNETES_SERVICE_HOST: "localhost", KUBERNETES_SERVICE_PORT: port },
        serviceAccountDir: dir,
      });
      const ns = await client.get<KubeObject>(
        await client.resourceFor("v1", "Namespace"),
        "default",
      );
      assert.equal(ns.metadata?.name, "default");
      await assert.rejects(
        KubeClient.inCluster({ env: {}, serviceAccountDir: dir }),
        /KUBERNETES_SERVICE_HOST/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
