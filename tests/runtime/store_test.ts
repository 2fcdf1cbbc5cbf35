import assert from "node:assert/strict";
import type { KubeObject } from "../../lib/kube/mod.ts";
import { Store, type WatchEvent } from "../../lib/runtime/mod.ts";

function cm(name: string, rv: string, ns = "default"): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns, resourceVersion: rv, managedFields: [{ manager: "x" }] },
    data: { v: rv },
  };
}

Deno.test("the store swaps a relist in atomically on initDone and resolves ready once", async () => {
  const store = new Store<KubeObject>();
  const reader = store.reader();
  assert.equal(reader.isReady, false);
  const events: WatchEvent<KubeObject>[] = [
    { type: "init" },
    { type: "initApply", object: cm("a", "1") },
    { type: "initApply", object: cm("b", "2") },
  ];
  for (const e of events) store.apply(e);
  assert.equal(reader.size, 0, "a half-done list is invisible");
  store.apply({ type: "initDone" });
  await reader.ready;
  assert.equal(reader.isReady, true);
  assert.deepEqual(reader.keys().sort(), ["default/a", "default/b"]);

  // A relist that lost "a" (deleted during a gap) reports it as deleted.
  store.apply({ type: "init" });
  store.apply({ type: "initApply", object: cm("b", "3") });
  assert.equal(reader.get("default/a")?.metadata?.resourceVersion, "1", "old view until done");
  const changes = store.apply({ type: "initDone" });
  assert.deepEqual(changes.map((c) => [c.type, c.object.metadata?.name]), [["delete", "a"]]);
  assert.equal(reader.get("default/a"), undefined);
  assert.equal(reader.get("default/b")?.metadata?.resourceVersion, "3");
});

Deno.test("apply and delete update the live view; errors change nothing", () => {
  const store = new Store<KubeObject>();
  store.apply({ type: "init" });
  store.apply({ type: "initDone" });
  assert.deepEqual(store.apply({ type: "apply", object: cm("x", "5", "ns") }).length, 1);
  assert.equal(store.get("ns/x")?.metadata?.resourceVersion, "5");
  store.apply({ type: "error", error: new Error("boom") });
  assert.equal(store.size, 1);
  const [change] = store.apply({ type: "delete", object: cm("x", "6", "ns") });
  assert.equal(change.type, "delete");
  assert.equal(store.size, 0);
});

Deno.test("cached objects have managedFields stripped and are frozen", () => {
  const store = new Store<KubeObject>();
  store.apply({ type: "apply", object: cm("a", "1") });
  const obj = store.get("default/a")!;
  assert.equal(obj.metadata?.managedFields, undefined);
  assert.ok(Object.isFrozen(obj) && Object.isFrozen(obj.metadata) && Object.isFrozen(obj.data));
  assert.throws(() => {
    (obj.metadata as Record<string, unknown>).name = "changed";
  }, TypeError);
  const reader = store.reader();
  assert.equal("apply" in reader, false, "the reader has no writer");
  assert.equal(reader.list().length, 1);
});
