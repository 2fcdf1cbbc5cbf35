import assert from "node:assert/strict";
import {
  fluxGitUrl,
  gitRefProblem,
  gitUrlProblem,
  placementProblems,
  registrationProblems,
  repoPathProblem,
} from "../../lib/controllers/placement/mod.ts";

Deno.test("git URLs: what Flux can clone, scp form converted", () => {
  for (
    const ok of ["https://github.com/acme/payments", "http://127.0.0.1:9/x.git", "ssh://git@h/o/r"]
  ) {
    assert.equal(gitUrlProblem(ok), undefined, ok);
    assert.equal(fluxGitUrl(ok), ok);
  }
  assert.equal(
    fluxGitUrl("git@github.com:acme/payments.git"),
    "ssh://git@github.com/acme/payments.git",
  );
  const bad: [string, RegExp][] = [
    ["ftp://h/r", /scheme ftp/],
    ["file:///tmp/repo", /scheme file/],
    ["https://", /not a git URL|no host/],
    ["https://host", /names no repository/],
    ["https://host/", /names no repository/],
    ["git@host", /not a git URL/],
    ["payments", /not a git URL/],
    ["https://u:secret@h/r", /password/],
    ["https://h/r x", /spaces/],
    ["https://h/r\n", /control/],
    [`https://h/${"a".repeat(2100)}`, /2048/],
  ];
  for (const [url, re] of bad) {
    assert.match(gitUrlProblem(url) ?? "", re, url);
    assert.equal(fluxGitUrl(url), undefined);
  }
});

Deno.test("branch and tag names: git check-ref-format's rules", () => {
  for (const ok of ["main", "v1.2.3", "release/2026-12", "feature_x", "v2.0.0-rc.1"]) {
    assert.equal(gitRefProblem(ok), undefined, ok);
  }
  for (
    const bad of [
      "",
      "a b",
      "a..b",
      "-x",
      "x/",
      "x.",
      "x.lock",
      "a//b",
      "a@{b",
      "@",
      "a~1",
      "a^",
      "a:b",
      "a?",
      "a*",
      "a[",
      "a\\b",
      ".hidden",
      "x/.y",
      "a".repeat(256),
    ]
  ) {
    assert.notEqual(gitRefProblem(bad), undefined, bad);
  }
});

Deno.test("repository paths stay inside the repository", () => {
  assert.equal(repoPathProblem("./deploy"), undefined);
  assert.equal(repoPathProblem("deploy/prod"), undefined);
  assert.match(repoPathProblem("/etc") ?? "", /relative/);
  assert.match(repoPathProblem("./../x") ?? "", /inside/);
});

Deno.test("registration problems name the field, for the whole class", () => {
  const spec = (git: Record<string, unknown>) => ({
    source: { git: { url: "https://h/r", ...git } },
  });
  assert.deepEqual(registrationProblems(spec({ branch: "main" })), []);
  const both = registrationProblems(spec({ branch: "main", tag: "v1" }));
  assert.ok(both.some((p) => p.field === "spec.source.git" && /exactly one/.test(p.message)));
  assert.ok(registrationProblems(spec({})).some((p) => /exactly one/.test(p.message)));
  const url = registrationProblems({ source: { git: { url: "ftp://h/r", branch: "main" } } });
  assert.deepEqual(url.map((p) => p.field), ["spec.source.git.url"]);
  assert.deepEqual(
    registrationProblems({ source: { git: { url: "https://host", branch: "main" } } }).map((p) =>
      p.field
    ),
    ["spec.source.git.url"],
  );
  assert.deepEqual(registrationProblems(spec({ branch: "a b" })).map((p) => p.field), [
    "spec.source.git.branch",
  ]);
  assert.deepEqual(registrationProblems(spec({ tag: "v1..2" })).map((p) => p.field), [
    "spec.source.git.tag",
  ]);
  assert.deepEqual(
    registrationProblems(spec({ branch: "main", path: "../x" })).map((p) => p.field),
    ["spec.source.git.path"],
  );
  assert.ok(registrationProblems(spec({ branch: "main", extra: 1 })).length > 0);
  assert.ok(registrationProblems(null).length > 0);
  assert.ok(
    registrationProblems({
      source: { git: { url: "https://h/r", branch: "main" } },
      defaults: { replicas: -1 },
    })
      .some((p) => p.field === "spec.defaults.replicas"),
  );
  assert.ok(
    registrationProblems({
      source: { git: { url: "https://h/r", branch: "main" } },
      defaults: { resources: { requests: { cpu: "lots" } } },
    })
      .some((p) => p.field.startsWith("spec.defaults.resources")),
  );
});

Deno.test("placement problems: both branch and tag, bad refs, bad overrides", () => {
  assert.deepEqual(
    placementProblems({ serviceRef: "payments", sourceOverride: { tag: "v1" } }),
    [],
  );
  assert.ok(
    placementProblems({ serviceRef: "payments", sourceOverride: { tag: "v1", branch: "m" } }).some((
      p,
    ) => /not set both/.test(p.message)),
  );
  assert.deepEqual(
    placementProblems({ serviceRef: "payments", sourceOverride: { tag: "v 1" } }).map((p) =>
      p.field
    ),
    ["spec.sourceOverride.tag"],
  );
  assert.ok(
    placementProblems({ serviceRef: "Payments" }).some((p) => p.field === "spec.serviceRef"),
  );
  assert.ok(
    placementProblems({ serviceRef: "p", overrides: { replicas: 1.5 } }).some((p) =>
      p.field === "spec.overrides.replicas"
    ),
  );
  assert.ok(
    placementProblems({ serviceRef: "p", overrides: { env: { A: 1 } } }).some((p) =>
      p.field.startsWith("spec.overrides.env")
    ),
  );
});
