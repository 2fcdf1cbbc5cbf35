import assert from "node:assert/strict";
import { resolveBinaries } from "../../lib/sandbox/mod.ts";

async function fakeBinDir(names: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-bins-test-" });
  for (const name of names) {
    await Deno.writeTextFile(`${dir}/${name}`, "#!/bin/sh\n", { mode: 0o755 });
  }
  return dir;
}

const ALL = ["etcd", "kube-apiserver", "kubectl"];

Deno.test("resolveBinaries: LATTICE_K8S_BIN wins over KUBEBUILDER_ASSETS", async () => {
  const a = await fakeBinDir(ALL);
  const b = await fakeBinDir(ALL);
  try {
    const found = await resolveBinaries({ env: { LATTICE_K8S_BIN: a, KUBEBUILDER_ASSETS: b } });
    assert.deepEqual(found, {
      etcd: `${a}/etcd`,
      kubeApiserver: `${a}/kube-apiserver`,
      kubectl: `${a}/kubectl`,
    });
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("resolveBinaries: KUBEBUILDER_ASSETS (setup-envtest) is used", async () => {
  const dir = await fakeBinDir(ALL);
  try {
    const found = await resolveBinaries({ env: { KUBEBUILDER_ASSETS: `${dir}/` } });
    assert.equal(found.kubeApiserver, `${dir}/kube-apiserver`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveBinaries: an incomplete directory is an error naming it", async () => {
  const dir = await fakeBinDir(["etcd", "kube-apiserver"]);
  try {
    await assert.rejects(
      resolveBinaries({ env: { LATTICE_K8S_BIN: dir } }),
      (e: Error) =>
        e.message.startsWith("Cannot use control-plane binaries") &&
        e.message.includes(dir),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveBinaries: the cache of the pinned versions, else how to get them", async () => {
  const cache = await Deno.makeTempDir({ prefix: "lattice-cache-test-" });
  try {
    await assert.rejects(
      resolveBinaries({ env: { LATTICE_CACHE: cache } }),
      /Cannot find control-plane binaries: .*install_k8s_bins\.sh/,
    );
    const dir = `${cache}/bin/k8s-v1.36.3-etcd-v3.6.5-r2`;
    await Deno.mkdir(dir, { recursive: true });
    for (const name of ALL) await Deno.writeTextFile(`${dir}/${name}`, "", { mode: 0o755 });
    assert.equal((await resolveBinaries({ env: { LATTICE_CACHE: cache } })).etcd, `${dir}/etcd`);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
