/**
 * The vendored Flux manifests: each release loads with the objects the installer needs,
 * labelled with its version, and any drift of a vendored file is detected offline.
 */
import assert from "node:assert/strict";
import { FLUX_RELEASES, fluxManifests, vendoredFluxProblems } from "../../lib/flux/mod.ts";

Deno.test("every supported release is vendored and unchanged", async () => {
  assert.deepEqual(await vendoredFluxProblems(), []);
  assert.ok(FLUX_RELEASES.length >= 2, "at least two releases, so upgrades are real");
});

Deno.test("a release holds CRDs, RBAC and a Deployment per controller, labelled", async () => {
  for (const release of FLUX_RELEASES) {
    const objs = await fluxManifests(release, ["source-controller", "kustomize-controller"]);
    const kinds = (k: string) => objs.filter((o) => o.kind === k).map((o) => o.metadata?.name);
    assert.ok(
      kinds("CustomResourceDefinition").includes("gitrepositories.source.toolkit.fluxcd.io"),
    );
    assert.ok(
      kinds("CustomResourceDefinition").includes("kustomizations.kustomize.toolkit.fluxcd.io"),
    );
    assert.deepEqual(kinds("Deployment").sort(), ["kustomize-controller", "source-controller"]);
    assert.deepEqual(kinds("Namespace"), ["flux-system"]);
    assert.ok(kinds("ClusterRoleBinding").length >= 2);
    for (const o of objs) {
      assert.equal(o.metadata?.labels?.["app.kubernetes.io/version"], `v${release.version}`);
    }
    const deployment = objs.find((o) =>
      o.metadata?.name === "source-controller" && o.kind === "Deployment"
    ) as
      | { spec: { template: { spec: { containers: { image: string }[] } } } }
      | undefined;
    assert.equal(
      deployment?.spec.template.spec.containers[0].image,
      `ghcr.io/fluxcd/source-controller:${release.components["source-controller"]}`,
    );
  }
  await assert.rejects(
    () => fluxManifests(FLUX_RELEASES[0], ["helm-controller"]),
    /helm-controller is not vendored/,
  );
});

Deno.test("drift of a vendored file is detected offline", async () => {
  const root = await Deno.makeTempDir({ prefix: "lattice-vendor-" });
  try {
    const src = new URL("../../third_party/flux/", import.meta.url).pathname;
    await new Deno.Command("cp", { args: ["-r", `${src}.`, root] }).output();
    const rootUrl = new URL(`file://${root}/`);
    assert.deepEqual(await vendoredFluxProblems(rootUrl), []);
    const release = `v${FLUX_RELEASES[0].version}`;
    const file = `${root}/${release}/source-controller.yaml`;
    await Deno.writeTextFile(file, (await Deno.readTextFile(file)) + "# edited\n");
    await Deno.writeTextFile(`${root}/${release}/extra.yaml`, "x: 1\n");
    await Deno.mkdir(`${root}/v9.9.9`);
    assert.deepEqual((await vendoredFluxProblems(rootUrl)).sort(), [
      `third_party/flux/${release}/extra.yaml: not in PROVENANCE`,
      `third_party/flux/${release}/source-controller.yaml: sha256 differs from PROVENANCE`,
      "third_party/flux/v9.9.9: not a supported release",
    ]);
    await Deno.remove(`${root}/${FLUX_RELEASES[1] ? `v${FLUX_RELEASES[1].version}` : release}`, {
      recursive: true,
    });
    assert.ok(
      (await vendoredFluxProblems(rootUrl)).some((p) =>
        /missing \(run deno task vendor-flux\)/.test(p)
      ),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
