/**
 * A seeded random mesh compiled by the generator and judged by the independent evaluator:
 * every ordered pair of services, on every port of the callee and on an undeclared one,
 * is allowed exactly when the test's own statement of the bilateral rule says so.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { LatticeServiceSchema } from "../../../lib/api/mod.ts";
import {
  allPairs,
  defaultDenyObjects,
  meshIndex,
  type MeshService,
  pairPolicies,
  workloadObjects,
} from "../../../lib/controllers/service/mod.ts";
import { judge } from "./_judge.ts";
import { type RandomMesh, randomMesh } from "./_mesh.ts";

function compile(mesh: RandomMesh) {
  const services: MeshService[] = mesh.services.map((d) => ({
    namespace: d.metadata.namespace,
    name: d.metadata.name,
    spec: LatticeServiceSchema.parse(d).spec,
  }));
  const index = meshIndex(services, mesh.environments);
  const namespaces = new Set([...services.map((s) => s.namespace), "kube-system", "capi-x"]);
  const policies = [
    ...defaultDenyObjects(namespaces),
    ...allPairs(services, index).flatMap((p) => pairPolicies(p)),
  ];
  const deployments = services.map((s) =>
    workloadObjects({
      ...s,
      spec: LatticeServiceSchema.parse(mesh.services.find((d) => d.metadata.name === s.name)).spec,
    })
      .find((o) => o.kind === "Deployment")!
  );
  return { policies, deployments };
}

for (const seed of [1, 7, 19, 2026]) {
  Deno.test(`random mesh (seed ${seed}): allowed exactly for agreed pairs and ports`, () => {
    const mesh = randomMesh(seed, 20 + (seed % 11));
    const { policies, deployments } = compile(mesh);
    const result = judge(mesh, policies, deployments);
    ok(result.pairs >= 400, `only ${result.pairs} ordered pairs`);
    ok(
      result.agreed > 20,
      `only ${result.agreed} agreed pairs: the mesh is too sparse to say much`,
    );
    deepStrictEqual(result.wrong, []);
  });
}

Deno.test("random mesh: without the default deny, non-agreed pairs would be allowed", () => {
  const mesh = randomMesh(7, 24);
  const { policies, deployments } = compile(mesh);
  const withoutDeny = policies.filter((p) => !p.metadata?.name?.startsWith("lattice-default-deny"));
  const result = judge(mesh, withoutDeny, deployments);
  // Services no pair policy selects accept everything when nothing denies by default.
  ok(result.wrong.length > 0, "the default deny made no difference");
});
