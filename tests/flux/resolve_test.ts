/** Which Flux a parent sends a child (seed 002's inheritance) and what counts as a change. */
import assert from "node:assert/strict";
import {
  childPath,
  DEFAULT_FLUX_VERSION,
  fluxRelease,
  fluxReleaseProblem,
  installKey,
  normalizePath,
  resolveChildFlux,
} from "../../lib/flux/mod.ts";

const source = {
  repoUrl: "https://git.example/fleet",
  branch: "main",
  credentials: new TextEncoder().encode("token"),
  parentPath: "./children/us",
};

Deno.test("version: cluster, else repository, else parent, else default", () => {
  const base = { childName: "us-prod-1", source };
  assert.deepEqual(
    [
      resolveChildFlux({ ...base, child: { version: "2.7.3" }, repo: { version: "2.9.3" } }),
      resolveChildFlux({ ...base, repo: { version: "v2.9.3" }, parentVersion: "2.7.3" }),
      resolveChildFlux({ ...base, repo: {}, parentVersion: "2.7.3" }),
      resolveChildFlux({ ...base, repo: {} }),
    ].map((r) => [r.command.version, r.origin]),
    [
      ["2.7.3", "cluster"],
      ["2.9.3", "repository"],
      ["2.7.3", "parent"],
      [DEFAULT_FLUX_VERSION, "default"],
    ],
  );
});

Deno.test("interval and suspend follow the cluster, then the repository", () => {
  const r = resolveChildFlux({
    childName: "x",
    child: { interval: "30s", suspend: true },
    repo: { interval: "5m" },
    source,
  });
  assert.equal(r.command.interval, "30s");
  assert.equal(r.command.suspend, true);
  const d = resolveChildFlux({ childName: "x", repo: { interval: "5m" }, source });
  assert.equal(d.command.interval, "5m");
  assert.equal(d.command.suspend, false);
  assert.equal(resolveChildFlux({ childName: "x", repo: {}, source }).command.interval, "1m");
  assert.deepEqual(d.command.components, ["source-controller", "kustomize-controller"]);
  assert.equal(d.command.repoUrl, source.repoUrl);
});

Deno.test("a child's folder is under its parent's children/; a bootstrap's child is the root", () => {
  assert.equal(childPath(source, "us-prod-1"), "children/us/children/us-prod-1");
  assert.equal(childPath({ ...source, parentPath: "./" }, "us"), "children/us");
  assert.equal(childPath({ ...source, parentPath: "" }, "us"), "children/us");
  assert.equal(childPath({ ...source, parentPath: undefined, rootPath: "" }, "root"), "");
  assert.equal(normalizePath("./a/b/"), "a/b");
  assert.equal(normalizePath("/a"), "a");
});

Deno.test("installKey changes with everything but the version", () => {
  const a = resolveChildFlux({ childName: "x", repo: { version: "2.7.3" }, source }).command;
  const b = resolveChildFlux({ childName: "x", repo: { version: "2.9.3" }, source }).command;
  assert.equal(installKey(a), installKey(b));
  for (
    const change of [
      { suspend: true },
      { interval: "9m" },
      { path: "elsewhere" },
      { repoUrl: "https://other" },
      { gitCredentials: new TextEncoder().encode("other") },
    ]
  ) {
    assert.notEqual(
      installKey({ ...a, ...change } as typeof a),
      installKey(a),
      JSON.stringify(change),
    );
  }
});

Deno.test("supported releases and the refusal of others", () => {
  assert.equal(fluxRelease("v2.9.3")?.components["kustomize-controller"], "v1.9.4");
  assert.equal(fluxRelease("2.7.3")?.components["source-controller"], "v1.7.3");
  assert.equal(fluxReleaseProblem("2.9.3"), undefined);
  assert.match(fluxReleaseProblem("2.2.0")!, /not supported.*2\.7\.3, 2\.9\.3/);
});
