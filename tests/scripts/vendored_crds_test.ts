import assert from "node:assert/strict";
import {
  checkVendoredCrds,
  matchesPattern,
  parseProvenance,
  PROVENANCE,
  renderProvenance,
  sha256,
} from "../../scripts/vendor_crds/provenance.ts";
import { CRD_SETS, type CrdSet } from "../../scripts/vendor_crds/sources.ts";
import { expandPaths, fetchFromGit, sameAsCommitted, writeSet } from "../../scripts/vendor_crds.ts";

const VENDORED = new URL("../../third_party/crds", import.meta.url).pathname;

/** A copy of the vendored tree in a temp dir, to damage. */
async function copyTree(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "lattice-vendored-crds-" });
  const out = await new Deno.Command("cp", { args: ["-r", `${VENDORED}/.`, dir] }).output();
  assert.ok(out.success, "cp");
  return dir;
}

Deno.test("the committed third_party/crds matches its PROVENANCE files and sources.ts", async () => {
  assert.deepEqual(await checkVendoredCrds(VENDORED), []);
});

Deno.test("every vendored folder is a set of sources.ts with a PROVENANCE naming module and path", async () => {
  for (const set of CRD_SETS) {
    const text = await Deno.readTextFile(`${VENDORED}/${set.folder}/${PROVENANCE}`);
    const { files } = parseProvenance(text);
    assert.ok(files.length > 0, set.folder);
    for (const f of files) {
      assert.ok(set.sources.some((s) => s.module === f.module), `${set.folder}: ${f.module}`);
      assert.match(f.sha256, /^[0-9a-f]{64}$/);
    }
    assert.match(text, new RegExp(`^tag: ${set.tag.replaceAll(".", "\\.")}$`, "m"));
  }
});

Deno.test("drift is found offline: changed bytes, extra, missing and unlisted files", async (t) => {
  const dir = await copyTree();
  const capi = `${dir}/cluster-api-v1.14.0`;
  try {
    await t.step("one changed byte", async () => {
      const file = `${capi}/cluster.x-k8s.io_clusters.yaml`;
      const bytes = await Deno.readFile(file);
      bytes[bytes.length - 2] ^= 1;
      await Deno.writeFile(file, bytes);
      const problems = await checkVendoredCrds(dir);
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0], /cluster\.x-k8s\.io_clusters\.yaml: sha256 [0-9a-f]+ differs/);
    });
    await t.step("an extra file and an extra folder", async () => {
      await Deno.writeTextFile(`${capi}/extra.yaml`, "kind: X\n");
      await Deno.mkdir(`${dir}/istio-9.9.9`);
      const problems = (await checkVendoredCrds(dir)).join("\n");
      assert.match(problems, /extra\.yaml: not listed in PROVENANCE/);
      assert.match(problems, /istio-9\.9\.9: not a vendored set/);
    });
    await t.step("a missing file and a missing folder", async () => {
      await Deno.remove(`${capi}/cluster.x-k8s.io_machines.yaml`);
      await Deno.remove(`${dir}/cilium-v1.19.4`, { recursive: true });
      const problems = (await checkVendoredCrds(dir)).join("\n");
      assert.match(problems, /cluster\.x-k8s\.io_machines\.yaml: listed in PROVENANCE, missing/);
      assert.match(problems, /cilium-v1\.19\.4: missing; run deno task vendor-crds/);
    });
    await t.step("a PROVENANCE naming another version than sources.ts", async () => {
      const p = `${dir}/flux-helm-controller-v1.6.3/${PROVENANCE}`;
      const text = await Deno.readTextFile(p);
      await Deno.writeTextFile(
        p,
        text.replaceAll("helm-controller@v1.6.3", "helm-controller@v1.6.4"),
      );
      const problems = (await checkVendoredCrds(dir)).join("\n");
      assert.match(problems, /flux-helm-controller-v1\.6\.3\/PROVENANCE: does not match/);
    });
    await t.step("no folder at all", async () => {
      const problems = await checkVendoredCrds(`${dir}/nope`);
      assert.match(problems[0], /cannot read/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PROVENANCE renders and parses back to the same text", async () => {
  const set = CRD_SETS.find((s) => s.folder === "cluster-api-v1.14.0");
  assert.ok(set);
  const provenance = {
    files: [{
      name: "a.yaml",
      sha256: await sha256(new TextEncoder().encode("a")),
      module: "sigs.k8s.io/cluster-api",
      version: "v1.14.0",
      path: "core/config/crd/bases/a.yaml",
    }],
    sums: { "sigs.k8s.io/cluster-api@v1.14.0": "h1:abc=" },
  };
  const text = renderProvenance(set, provenance);
  assert.equal(renderProvenance(set, parseProvenance(text)), text);
  assert.match(text, /module: sigs\.k8s\.io\/cluster-api\/test@v1\.14\.0 \(not served/);
  assert.throws(() => parseProvenance(`${text}garbage\n`), /unreadable file line/);
});

Deno.test("patterns name files of one folder, with at most one *", async (t) => {
  await t.step("plain files and prefixes", () => {
    assert.ok(matchesPattern("a/b/x.yaml", "a/b/x.yaml"));
    assert.ok(!matchesPattern("a/b/x.yaml", "a/b/y.yaml"));
    assert.ok(matchesPattern("a/b/aws*.yaml", "a/b/awsclusters.yaml"));
    assert.ok(!matchesPattern("a/b/aws*.yaml", "a/b/eks.yaml"));
    assert.ok(!matchesPattern("a/b/*.yaml", "a/b/c/d.yaml"), "not in subfolders");
    assert.ok(!matchesPattern("a/b/*.yaml", "a/bb/d.yaml"));
  });
  await t.step("two stars are refused", () => {
    assert.throws(() => matchesPattern("a/*x*.yaml", "a/x.yaml"), /only one \*/);
  });
  await t.step("a pattern that matches nothing is an error when expanding", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/c`);
      await Deno.writeTextFile(`${dir}/c/b.yaml`, "");
      await Deno.writeTextFile(`${dir}/c/a.yaml`, "");
      const source = { module: "m", version: "v1", paths: ["c/*.yaml"] };
      assert.deepEqual(await expandPaths(dir, source), ["c/a.yaml", "c/b.yaml"]);
      await assert.rejects(
        expandPaths(dir, { ...source, paths: ["c/z*.yaml"] }),
        /nothing matches c\/z\*\.yaml/,
      );
      await assert.rejects(expandPaths(dir, { ...source, paths: ["d/*.yaml"] }), /cannot read d\//);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("a set fetched from a git tag is written, verified and found unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-vendor-git-" });
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
      cwd: `${dir}/upstream`,
      stdout: "piped",
      stderr: "piped",
    }).output().then((o) => {
      assert.ok(o.success, new TextDecoder().decode(o.stderr));
      return new TextDecoder().decode(o.stdout).trim();
    });
  try {
    await Deno.mkdir(`${dir}/upstream/config/crd/bases`, { recursive: true });
    await Deno.writeTextFile(`${dir}/upstream/config/crd/bases/a.example_things.yaml`, "a: 1\n");
    await Deno.writeTextFile(`${dir}/upstream/config/crd/bases/README.md`, "not a CRD\n");
    await git("init", "-q");
    await git("add", ".");
    await git("commit", "-qm", "release");
    await git("tag", "v1.0.0");
    const commit = await git("rev-parse", "HEAD");
    const tag = { url: `file://${dir}/upstream`, tag: "v1.0.0", commit };
    const set: CrdSet = {
      folder: "thing-v1.0.0",
      project: "example/thing",
      tag: "v1.0.0",
      licence: "Apache-2.0",
      sources: [{
        module: "example.com/thing",
        version: "v1.0.0",
        paths: ["config/crd/bases/*.yaml"],
      }],
      git: tag,
    };
    const fetched = await fetchFromGit(set, tag);
    assert.deepEqual([...fetched.files.keys()], ["a.example_things.yaml"]);
    assert.equal(fetched.via, "git v1.0.0");
    const out = `${dir}/vendored`;
    await writeSet(`${out}/${set.folder}`, fetched);
    assert.deepEqual(await checkVendoredCrds(out, [set]), []);
    assert.equal(await sameAsCommitted(`${out}/${set.folder}`, fetched), true);
    await Deno.writeTextFile(`${out}/${set.folder}/a.example_things.yaml`, "a: 2\n");
    assert.equal(await sameAsCommitted(`${out}/${set.folder}`, fetched), false);
    await assert.rejects(
      fetchFromGit(set, { ...tag, commit: "0".repeat(40) }),
      /is [0-9a-f]{40}, not 0{40}/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
