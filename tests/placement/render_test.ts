import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  appliedRepository,
  candidateRepository,
  commitOf,
  contains,
  effectiveSource,
  mergeSettings,
  placementKustomization,
  workloadPatches,
} from "../../lib/controllers/placement/mod.ts";

Deno.test("defaults + overrides merge field by field", () => {
  assert.deepEqual(
    mergeSettings(
      {
        replicas: 1,
        resources: { requests: { cpu: "100m", memory: "128Mi" } },
        env: { A: "1", B: "2" },
      },
      {
        replicas: 3,
        resources: { requests: { cpu: "500m" }, limits: { cpu: "2" } },
        env: { B: "x", C: "3" },
      },
    ),
    {
      replicas: 3,
      resources: { requests: { cpu: "500m", memory: "128Mi" }, limits: { cpu: "2" } },
      env: { A: "1", B: "x", C: "3" },
    },
  );
  assert.deepEqual(mergeSettings(undefined, undefined), {});
  assert.deepEqual(mergeSettings({ replicas: 0 }, {}), { replicas: 0 });
});

Deno.test("sourceOverride wins over the registration's branch or tag", () => {
  const git = { url: "https://h/r", path: "./deploy", branch: "main" };
  assert.deepEqual(effectiveSource(git), { url: "https://h/r", path: "./deploy", branch: "main" });
  assert.deepEqual(effectiveSource(git, { tag: "v2" }), {
    url: "https://h/r",
    path: "./deploy",
    tag: "v2",
  });
  assert.deepEqual(effectiveSource({ url: "u", tag: "v1" }, { branch: "dev" }), {
    url: "u",
    path: "./",
    branch: "dev",
  });
  assert.deepEqual(effectiveSource({ url: "u", tag: "v1" }, {}), {
    url: "u",
    path: "./",
    tag: "v1",
  });
});

Deno.test("patches aim at each workload's containers; missing kinds are problems", () => {
  const workloads = [
    { kind: "Deployment", name: "api", containers: ["app", "sidecar"] },
    { kind: "DaemonSet", name: "agent", containers: ["agent"] },
  ];
  const { patches, problems } = workloadPatches(
    { replicas: 3, env: { A: "1" }, resources: { limits: { cpu: "1" } } },
    workloads,
  );
  assert.deepEqual(problems, []);
  assert.equal(patches.length, 2);
  const api = parse(patches[0].patch);
  assert.equal(api.spec.replicas, 3);
  assert.deepEqual(api.spec.template.spec.containers.map((c: { name: string }) => c.name), [
    "app",
    "sidecar",
  ]);
  assert.deepEqual(api.spec.template.spec.containers[0].env, [{ name: "A", value: "1" }]);
  assert.deepEqual(patches[0].target, {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    name: "^api$",
  });
  const agent = parse(patches[1].patch);
  assert.equal(agent.spec.replicas, undefined, "a DaemonSet has no replicas");
  // Replicas only, on a DaemonSet-only service: refused, naming what the service has.
  const only = workloadPatches({ replicas: 2 }, [workloads[1]]);
  assert.deepEqual(only.patches, []);
  assert.match(only.problems[0].message, /no Deployment or StatefulSet.*DaemonSet\/agent/);
  const none = workloadPatches({ env: { A: "1" }, resources: { requests: { cpu: "1" } } }, []);
  assert.deepEqual(none.problems.map((p) => p.field), ["resources", "env"]);
  assert.match(none.problems[0].message, /no workload/);
  // Nothing to override: no patch at all.
  assert.deepEqual(workloadPatches({}, workloads).patches, []);
  assert.deepEqual(
    workloadPatches({ replicas: 1 }, [{ kind: "DaemonSet", name: "d", containers: [] }, {
      kind: "StatefulSet",
      name: "s",
      containers: [],
    }]).patches.length,
    1,
  );
});

Deno.test("Flux objects: candidate follows the ref, applied is pinned, Kustomization applies it", () => {
  const src = { url: "git@h:o/r.git", path: "deploy", tag: "v1" };
  const cand = candidateRepository("p", "p", src, { interval: "30s", secretName: "creds" });
  assert.deepEqual(cand.spec, {
    url: "ssh://git@h/o/r.git",
    ref: { tag: "v1" },
    interval: "30s",
    secretRef: { name: "creds" },
  });
  const sha = "a".repeat(40);
  assert.deepEqual((appliedRepository("p", "p", src, sha).spec as { ref: unknown }).ref, {
    commit: sha,
  });
  assert.equal(appliedRepository("p", "p", src, sha).metadata?.name, "p-applied");
  assert.deepEqual(
    (appliedRepository("p", "p", { url: "https://h/r", path: "./", branch: "dev" }, sha).spec as {
      ref: unknown;
    }).ref,
    { branch: "dev", commit: sha },
  );
  const k = placementKustomization("p", "p", src, []);
  const spec = k.spec as Record<string, unknown>;
  assert.equal(spec.path, "./deploy");
  assert.equal(spec.prune, true);
  assert.equal(spec.targetNamespace, "p");
  assert.deepEqual(spec.sourceRef, { kind: "GitRepository", name: "p-applied" });
});

Deno.test("commits of Flux revisions", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";
  assert.equal(commitOf(`v1.0.0@sha1:${sha}`), sha);
  assert.equal(commitOf(`main@sha1:${sha}`), sha);
  assert.equal(commitOf(`refs/heads/x@sha1:${sha}`), sha);
  assert.equal(commitOf(sha), sha);
  assert.equal(commitOf("main"), undefined);
});

Deno.test("contains compares only the fields we set", () => {
  assert.ok(contains({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }));
  assert.ok(!contains({ a: 1 }, { a: 2 }));
  assert.ok(contains({ l: [{ x: 1, y: 2 }] }, { l: [{ x: 1 }] }));
  assert.ok(!contains({ l: [1, 2] }, { l: [1] }));
  assert.ok(!contains(undefined, { a: 1 }));
  assert.ok(!contains([1], { a: 1 }));
});
