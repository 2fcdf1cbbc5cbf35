/**
 * `lattice install` through the CLI: bad input is refused before anything is created, and
 * missing tools are listed with what to install (PATH holds none of them here).
 */
import assert from "node:assert/strict";
import { exampleFiles } from "../../lib/sandbox/examples.ts";
import { cli } from "./_cli.ts";

const ROOT = exampleFiles()["kind-root.yaml"];

Deno.test("lattice install refuses bad input before creating anything", async (t) => {
  const dir = await Deno.makeTempDir();
  const env = { PATH: "/nonexistent" };
  try {
    await t.step("no --config", async () => {
      const r = await cli(["install"], env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /missing --config FILE/);
    });
    await t.step("an unreadable file", async () => {
      const r = await cli(["install", "--config", `${dir}/nope.yaml`], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Cannot read .*nope\.yaml: /);
    });
    await t.step("a root with a parent", async () => {
      await Deno.writeTextFile(`${dir}/child.yaml`, ROOT + "  cellRef: other\n");
      const r = await cli(["install", "--config", `${dir}/child.yaml`], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /child\.yaml: spec\.cellRef: the root cluster has no parent/);
    });
    await t.step("a bad timeout", async () => {
      await Deno.writeTextFile(`${dir}/root.yaml`, ROOT);
      const r = await cli(["install", "--config", `${dir}/root.yaml`, "--timeout", "soon"], env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /invalid --timeout: soon/);
    });
    await t.step("missing tools are named, nothing is created", async () => {
      const r = await cli(["install", "--config", `${dir}/root.yaml`], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Cannot install: missing prerequisites \(nothing was created\)/);
      for (const tool of ["docker", "kind", "clusterctl"]) {
        assert.match(r.stderr, new RegExp(`  - ${tool}: `));
      }
      assert.equal(r.stdout, "");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
