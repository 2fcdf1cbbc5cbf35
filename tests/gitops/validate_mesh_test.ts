/**
 * `lattice validate` and LatticeService files in a cluster's placements/ folder: schema
 * errors, and one-sided dependencies reported at file, line and field.
 */
import assert from "node:assert/strict";
import {
  baseRepoFiles,
  kustomization,
  lattice,
  placementYaml,
  tempRepo,
  usChildren,
} from "./fixtures.ts";

const P1 = "children/us/children/us-prod-1/placements";
const P2 = "children/us/children/us-prod-2/placements";

function serviceYaml(name: string, resources: string[], namespace = "shop"): string {
  return [
    "apiVersion: lattice.dev/v1alpha1",
    "kind: LatticeService",
    "metadata:",
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    "spec:",
    "  containers:",
    "    main:",
    "      image: nginx:alpine",
    "  service:",
    "    ports:",
    "      http:",
    "        port: 80",
    ...(resources.length ? ["  resources:", ...resources.map((r) => `    ${r}`)] : []),
    "",
  ].join("\n");
}

async function validate(files: Record<string, string>, ...args: string[]) {
  const dir = await tempRepo({ ...baseRepoFiles(), ...usChildren(), ...files });
  try {
    const r = await lattice(dir, "validate", ...args);
    return { ...r, errors: r.stdout.split("\n").filter((l) => l.startsWith("✗")) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function placements(dir: string, services: Record<string, string>): Record<string, string> {
  const existing = dir === P1
    ? ["payments.yaml", "orders.yaml", "monitoring.yaml"]
    : ["payments.yaml", "monitoring.yaml"];
  return {
    [`${dir}/kustomization.yaml`]: kustomization([
      ...existing,
      ...Object.keys(services).map((s) => `${s}.yaml`),
    ]),
    ...Object.fromEntries(Object.entries(services).map(([n, t]) => [`${dir}/${n}.yaml`, t])),
  };
}

Deno.test("validate accepts services whose dependencies both sides agree", async () => {
  const r = await validate(placements(P1, {
    web: serviceYaml("web", ["api: {type: service, direction: outbound}"]),
    api: serviceYaml("api", ["web: {type: service, direction: inbound}", "db: {type: postgres}"]),
  }));
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, new RegExp(`✓ ${P1}/web.yaml valid`));
  assert.match(r.stdout, /✓ All service dependencies are agreed by both sides/);
});

Deno.test("validate reports one-sided dependencies naming file, line and field", async () => {
  const r = await validate(placements(P1, {
    web: serviceYaml("web", [
      "api: {type: service, direction: outbound}",
      "search: {type: service, direction: outbound, namespace: find}",
    ]),
    api: serviceYaml("api", ["batch: {type: service, direction: inbound}"]),
  }));
  assert.equal(r.code, 1);
  assert.deepEqual(r.errors, [
    `✗ ${P1}/web.yaml:15: spec.resources.api.direction: one-sided outbound dependency on ` +
    "shop/api (cluster us-prod-1): shop/api must declare resources.web: {type: service, " +
    "direction: inbound}",
    `✗ ${P1}/web.yaml:16: spec.resources.search.direction: one-sided outbound dependency on ` +
    "find/search (cluster us-prod-1): LatticeService find/search does not exist",
    `✗ ${P1}/api.yaml:15: spec.resources.batch.direction: one-sided inbound dependency on ` +
    "shop/batch (cluster us-prod-1): LatticeService shop/batch does not exist",
  ]);
  assert.match(r.stdout, /3 errors found/);
});

Deno.test("services on different clusters do not agree with each other", async () => {
  const r = await validate({
    ...placements(P1, { web: serviceYaml("web", ["api: {type: service, direction: outbound}"]) }),
    ...placements(P2, { api: serviceYaml("api", ["web: {type: service, direction: inbound}"]) }),
  });
  assert.equal(r.code, 1);
  assert.equal(r.errors.length, 2);
  assert.match(r.errors[0], /cluster us-prod-1\): LatticeService shop\/api does not exist/);
});

Deno.test("validate checks a service file's schema and name; PATH of a service shows its checks", async () => {
  const bad = serviceYaml("web", ["api: {type: service}"]).replace("port: 80", "port: 0");
  const r = await validate(placements(P1, { web: bad, other: serviceYaml("web", []) }));
  assert.equal(r.code, 1);
  assert.ok(
    r.errors.includes(`✗ ${P1}/web.yaml:13: spec.service.ports.http.port: must be >= 1`),
    r.stdout,
  );
  assert.ok(
    r.errors.some((e) => e.includes("spec.resources.api.direction: type service needs direction")),
    r.stdout,
  );
  assert.ok(
    r.errors.some((e) =>
      e.includes(`${P1}/other.yaml:4: metadata.name: is 'web' but the file is other.yaml`)
    ),
    r.stdout,
  );
  const one = await validate(
    placements(P1, { web: serviceYaml("web", ["api: {type: service, direction: outbound}"]) }),
    `${P1}/web.yaml`,
  );
  assert.match(one.stdout, /✓ Schema valid/);
  assert.match(one.stdout, /✗ .*one-sided outbound dependency on shop\/api/);
  // Placements next to services are still placements.
  assert.match(placementYaml("orders"), /LatticeServicePlacement/);
});
