/**
 * lib/sandbox's etcd templates against real etcd + kube-apiserver: CRDs asked for at start
 * are seeded from a template built once and reused.
 */
import assert from "node:assert/strict";
import { startControlPlane } from "../../lib/sandbox/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { planeApi } from "./_plane.ts";

const LC_PATH = "/apis/lattice.dev/v1alpha1/latticeclusters";

Deno.test("control plane: CRDs asked at start come from a cached etcd template", async () => {
  // A fresh temp root, so the template is built here rather than found from earlier runs.
  const root = await Deno.makeTempDir({ prefix: "lattice-plane-tpl-" });
  try {
    const options = { tempRoot: root, crds: { lattice: true } };
    const first = await startControlPlane({ ...options, name: "tpl-1" });
    const api = planeApi(first);
    try {
      assert.equal((await api.json("GET", LC_PATH)).status, 200);
      const created = await api.json("POST", LC_PATH, { body: minimalClusterDocument("seeded") });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    } finally {
      api.close();
      await first.stop();
    }
    const templates = [];
    for await (const e of Deno.readDir(`${root}/lattice-etcd-templates`)) templates.push(e.name);
    assert.equal(templates.length, 1, "one template, no staging leftovers");

    // The second plane is seeded from it: its CRDs are served, and nothing of the first
    // plane's objects is in it (the template holds CRDs only).
    const second = await startControlPlane({ ...options, name: "tpl-2" });
    const api2 = planeApi(second);
    try {
      const list = await api2.json<{ items: unknown[] }>("GET", LC_PATH);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items, []);
    } finally {
      api2.close();
      await second.stop();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
