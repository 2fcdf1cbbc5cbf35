/**
 * The cluster repository against a real kube-apiserver: the generated CRDs accept what
 * the CLI writes, kustomize builds every level's kustomization.yaml, and the CEL rules
 * refuse what zod refuses.
 */
import assert from "node:assert/strict";
import { lattice, tempRepo } from "../gitops/fixtures.ts";
import { withControlPlane } from "./_plane.ts";

Deno.test("the GitOps repo applies to a real apiserver level by level", async (t) => {
  const dir = await tempRepo();
  try {
    // Files the CLI writes, next to the hand-written fixtures.
    for (
      const args of [
        ["cluster", "create", "eu", "--parent", "root", "--cell", "--region", "eu-west-1"],
        ["cluster", "create", "eu-prod-1", "--parent", "eu", "--workers", "5"],
        [
          "service",
          "register",
          "gdpr-agent",
          "--cluster",
          "eu",
          "--git-url",
          "https://github.com/acme/gdpr",
          "--tag",
          "v1.0.0",
        ],
        [
          "placement",
          "create",
          "gdpr-agent",
          "--cluster",
          "eu-prod-1",
          "--replicas",
          "2",
          "--env",
          "MODE=strict",
        ],
        ["flux", "set-version", "2.3.0", "--cluster", "eu-prod-1"],
      ]
    ) {
      const r = await lattice(dir, ...args);
      assert.equal(r.code, 0, r.stderr);
    }
    await withControlPlane(t, async (_plane, api) => {
      const levels: [string, string[]][] = [
        [".", [
          "latticeserviceregistration.lattice.dev/payments",
          "latticeserviceregistration.lattice.dev/orders",
          "latticeserviceregistration.lattice.dev/monitoring",
          "latticeserviceregistration.lattice.dev/logging",
          "latticecluster.lattice.dev/us",
          "latticecluster.lattice.dev/eu",
        ]],
        ["children/eu", [
          "latticeserviceregistration.lattice.dev/gdpr-agent",
          "latticecluster.lattice.dev/eu-prod-1",
        ]],
        ["children/eu/children/eu-prod-1", ["latticeserviceplacement.lattice.dev/gdpr-agent"]],
        ["children/us/children/us-prod-1", [
          "latticeserviceplacement.lattice.dev/payments",
          "latticeserviceplacement.lattice.dev/orders",
          "latticeserviceplacement.lattice.dev/monitoring",
        ]],
      ];
      for (const [level, expected] of levels) {
        await t.step(`kubectl apply -k ${level}`, async () => {
          const out = await api.kubectl(["apply", "-k", `${dir}/${level}`, "-o", "name"]);
          assert.deepEqual(out.stdout.trim().split("\n").sort(), [...expected].sort());
        });
      }
      await t.step("the root cluster and the repo config are accepted too", async () => {
        await api.kubectl([
          "apply",
          "-f",
          `${dir}/cluster.yaml`,
          "-f",
          `${dir}/.lattice/config.yaml`,
        ]);
        const flux = await api.kubectl([
          "get",
          "latticecluster",
          "eu-prod-1",
          "-o",
          "jsonpath={.spec.flux.version}",
        ]);
        assert.equal(flux.stdout, "2.3.0");
      });
      await t.step("CEL refuses a registration with both branch and tag", async () => {
        const bad = {
          apiVersion: "lattice.dev/v1alpha1",
          kind: "LatticeServiceRegistration",
          metadata: { name: "both" },
          spec: {
            source: { git: { url: "https://github.com/acme/x", branch: "main", tag: "v1" } },
          },
        };
        const res = await api.json<{ code: number; message: string }>(
          "POST",
          "/apis/lattice.dev/v1alpha1/latticeserviceregistrations",
          { body: bad },
        );
        assert.equal(res.status, 422);
        assert.match(res.body.message, /must set exactly one of branch or tag/);
      });
    }, { crds: { lattice: true } });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
