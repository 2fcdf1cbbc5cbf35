/**
 * `deno task e2e` (scripts/e2e_kind.ts) on a machine without Docker: it checks its
 * prerequisites first and names each missing one, creating nothing. The flow itself needs a
 * Docker engine (docs/testing.md).
 */
import assert from "node:assert/strict";

const SCRIPT = new URL("../../scripts/e2e_kind.ts", import.meta.url).pathname;

async function runScript(args: string[], path: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    env: { PATH: path, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("deno task e2e names every missing prerequisite and exits 1", async () => {
  const r = await runScript([], "/nonexistent");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot run the kind end-to-end test; missing prerequisites:/);
  for (const tool of ["docker", "kind", "clusterctl", "kubectl"]) {
    assert.match(r.stderr, new RegExp(`  - ${tool}: `));
  }
  assert.match(r.stderr, /The local end-to-end test \(deno task test\) needs none of these/);
});

Deno.test("deno task e2e --help says what it runs", async () => {
  const r = await runScript(["--help"], "/nonexistent");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /kind \+ Cluster API's Docker provider/);
  assert.match(r.stdout, /--image/);
  assert.match(r.stdout, /--keep/);
});
