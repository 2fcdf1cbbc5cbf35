import assert from "node:assert/strict";
import { CLUSTER_API_CRD_SETS, defaultCrdRoot, upstreamFiles } from "../../lib/sandbox/mod.ts";

async function fakeRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "lattice-crds-test-" });
  await Deno.mkdir(`${root}/cluster-api-v1.14.0`);
  for (
    const name of [
      "cluster.x-k8s.io_clusters.yaml",
      "cluster.x-k8s.io_machines.yaml",
      "addons.cluster.x-k8s.io_clusterresourcesets.yaml",
      "bootstrap.cluster.x-k8s.io_kubeadmconfigs.yaml",
      "controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml",
      "infrastructure.cluster.x-k8s.io_dockerclusters.yaml",
      "infrastructure.cluster.x-k8s.io_devclusters.yaml",
      "clusterctl.cluster.x-k8s.io_providers.yaml",
      "README.txt",
    ]
  ) {
    await Deno.writeTextFile(`${root}/cluster-api-v1.14.0/${name}`, "");
  }
  return root;
}

function names(files: string[]): string[] {
  return files.map((f) => f.slice(f.lastIndexOf("/") + 1));
}

Deno.test("upstreamFiles: named subsets, folders, files and prefixes", async (t) => {
  const root = await fakeRoot();
  try {
    await t.step("core holds the cluster.x-k8s.io family, not providers", async () => {
      assert.deepEqual(names(await upstreamFiles(["cluster-api-v1.14.0/core"], root)), [
        "addons.cluster.x-k8s.io_clusterresourcesets.yaml",
        "cluster.x-k8s.io_clusters.yaml",
        "cluster.x-k8s.io_machines.yaml",
      ]);
    });
    await t.step("the four Cluster API sets, without duplicates", async () => {
      const files = await upstreamFiles([...CLUSTER_API_CRD_SETS, ...CLUSTER_API_CRD_SETS], root);
      assert.equal(files.length, 7);
      assert.equal(new Set(files).size, 7);
      assert.ok(names(files).includes("infrastructure.cluster.x-k8s.io_devclusters.yaml"));
      assert.ok(!names(files).includes("clusterctl.cluster.x-k8s.io_providers.yaml"));
    });
    await t.step("a folder is every YAML file in it", async () => {
      assert.equal((await upstreamFiles(["cluster-api-v1.14.0"], root)).length, 8);
    });
    await t.step("one file, or a file-name prefix", async () => {
      const one = await upstreamFiles(["cluster-api-v1.14.0/cluster.x-k8s.io_clusters.yaml"], root);
      assert.deepEqual(names(one), ["cluster.x-k8s.io_clusters.yaml"]);
      const prefix = await upstreamFiles(["cluster-api-v1.14.0/infrastructure.cluster"], root);
      assert.equal(prefix.length, 2);
    });
    await t.step("unknown folders and empty selections are errors", async () => {
      await assert.rejects(upstreamFiles(["nope"], root), /Cannot resolve CRD set "nope"/);
      await assert.rejects(
        upstreamFiles(["cluster-api-v1.14.0/zzz"], root),
        /no file in .* matches/,
      );
      await assert.rejects(upstreamFiles(["../etc"], root), /Cannot resolve CRD set/);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("upstreamFiles: every set name in use resolves inside the repository", async () => {
  const root = defaultCrdRoot();
  const repo = new URL("../../", import.meta.url).pathname;
  assert.ok(root.startsWith(repo), `${root} is outside ${repo}`);
  const capi = await upstreamFiles(CLUSTER_API_CRD_SETS, root);
  assert.ok(capi.length >= 20, `${capi.length} files`);
  for (
    const [set, count] of [
      ["cluster-api-v1.14.0", 31],
      ["cluster-api-v1.14.0/clusterctl", 2],
      ["cluster-api-v1.14.0/cluster.x-k8s.io_clusters.yaml", 1],
      ["cilium-v1.19.4", 4],
      ["cilium-v1.19.4/ciliumloadbalancerippools.yaml", 1],
      ["istio-1.30.3", 1],
      ["flux-source-controller-v1.9.1", 6],
      ["flux-kustomize-controller-v1.9.4", 1],
      ["flux-helm-controller-v1.6.3", 1],
      ["flux-notification-controller-v1.9.3", 3],
      ["cluster-api-provider-aws-v2.11.1/infrastructure.cluster.x-k8s.io_awsclusters", 2],
      ["cluster-api-provider-azure-v1.26.0", 19],
      ["cluster-api-provider-gcp-v1.12.0", 13],
      ["cluster-api-provider-openstack-v0.14.7", 7],
      ["cluster-api-provider-proxmox-v0.9.0", 4],
      ["cluster-api-provider-rke2-v0.25.0", 4],
    ] as const
  ) {
    const files = await upstreamFiles([set], root);
    assert.equal(files.length, count, set);
    assert.ok(files.every((f) => f.startsWith(root) && f.endsWith(".yaml")), set);
  }
});
