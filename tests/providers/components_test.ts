import assert from "node:assert/strict";
import { childBundle } from "../../lib/bundle/mod.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import {
  CHUNK_BYTES,
  componentConfigMaps,
  COMPONENTS_LABEL,
  type ComponentSet,
  componentSetsOf,
  missingComponents,
  neededComponentLabels,
  readCellComponents,
  writeLocalRepository,
} from "../../lib/providers/mod.ts";
import { providerCluster } from "../capi/fixtures.ts";

const big = "é".repeat(CHUNK_BYTES) + "tail"; // 2 bytes a character: three chunks
const SETS: ComponentSet[] = [
  {
    type: "core",
    name: "cluster-api",
    version: "v1.14.0",
    files: { "core-components.yaml": big, "metadata.yaml": "kind: Metadata\n" },
  },
  {
    type: "cert-manager",
    name: "cert-manager",
    version: "v1.19.1",
    files: { "cert-manager.yaml": "kind: Namespace\n" },
  },
];

Deno.test("components survive chunking into ConfigMaps, multi-byte characters included", () => {
  const cms = componentConfigMaps(SETS, "lattice-system");
  const chunks = cms.filter((c) => c.metadata?.name?.startsWith("capi-cluster-api-core-"));
  assert.equal(chunks.length, 3);
  for (const c of cms) {
    const bytes = new TextEncoder().encode((c as { data: { content: string } }).data.content);
    assert.ok(bytes.length <= CHUNK_BYTES, c.metadata?.name ?? "");
    assert.ok(c.metadata!.name!.length <= 253);
  }
  assert.deepEqual(componentSetsOf([...cms].reverse()), [SETS[1], SETS[0]]); // sorted by type.name
});

Deno.test("a lost chunk or two versions of a provider are errors naming it", () => {
  const cms = componentConfigMaps(SETS, "lattice-system");
  const without = cms.filter((c) => c.metadata?.name !== "capi-cluster-api-core-components-1");
  assert.throws(
    () => componentSetsOf(without),
    /core\.cluster-api: core-components\.yaml lacks chunk 2\/3/,
  );
  const other = componentConfigMaps([{ ...SETS[0], version: "v1.13.0" }], "lattice-system");
  assert.throws(() => componentSetsOf([...cms, other[0]]), /two versions: v1\.14\.0 and v1\.13\.0/);
  assert.throws(
    () => componentSetsOf([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }]),
    /not a complete component chunk/,
  );
});

Deno.test("missing components are listed by type and name", () => {
  assert.deepEqual(
    missingComponents(SETS, [
      { type: "core", name: "cluster-api" },
      { type: "infrastructure", name: "aws" },
    ]),
    ["infrastructure aws"],
  );
  assert.deepEqual(missingComponents([], []), ["cert-manager"]);
});

Deno.test("the local repository is clusterctl's layout with file:// URLs and 0600 config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { configPath, config } = await writeLocalRepository(dir, SETS, {
      AWS_B64ENCODED_CREDENTIALS: "eA==",
    });
    assert.equal(await Deno.readTextFile(`${dir}/cluster-api/v1.14.0/core-components.yaml`), big);
    assert.match(config, new RegExp(`url: file://${dir}/cluster-api/v1.14.0/core-components.yaml`));
    assert.match(config, new RegExp(`url: file://${dir}/cert-manager/v1.19.1/cert-manager.yaml`));
    assert.match(config, /AWS_B64ENCODED_CREDENTIALS: eA==/);
    assert.equal((await Deno.stat(configPath)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the cell hands a child only the components it needs, in its bundle", async () => {
  const spec = providerCluster("aws", { bootstrap: "rke2" }).spec;
  assert.deepEqual(neededComponentLabels(spec), [
    "core.cluster-api",
    "bootstrap.rke2",
    "control-plane.rke2",
    "infrastructure.aws",
    "cert-manager.cert-manager",
  ]);
  let selector = "";
  const stored = componentConfigMaps(SETS, "lattice-system").map((c) => ({
    ...c,
    metadata: { ...c.metadata, uid: "u", resourceVersion: "1" },
  }));
  const client = {
    list: (_ref: unknown, options?: { labelSelector?: string }) => {
      selector = options?.labelSelector ?? "";
      return Promise.resolve({ items: stored });
    },
  } as unknown as Parameters<typeof readCellComponents>[0];
  const objects = await readCellComponents(client, spec);
  assert.equal(selector, `${COMPONENTS_LABEL} in (${neededComponentLabels(spec).join(",")})`);
  assert.ok(
    objects.every((o) =>
      o.metadata?.uid === undefined && o.metadata?.resourceVersion === undefined
    ),
  );
  const bundle = childBundle({ name: "a", spec }, {
    certificatePem: "c",
    caBundlePem: "c",
    grpcEndpoint: "e:1",
  }, {
    capiComponents: objects,
  });
  const job = bundle.findIndex((o: KubeObject) => o.kind === "Job");
  const last = bundle.findLastIndex((o: KubeObject) => o.metadata?.labels?.[COMPONENTS_LABEL]);
  assert.ok(last >= 0 && last < job, "components are applied before the capi-init Job");
});
