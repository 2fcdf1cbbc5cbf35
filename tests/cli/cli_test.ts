import assert from "node:assert/strict";
import { cli } from "./_cli.ts";

const SUBCOMMANDS = [
  "operator",
  "join",
  "capi-init",
  "install",
  "cluster",
  "service",
  "placement",
  "flux",
  "validate",
  "kubeconfig",
  "sandbox",
  "version",
];

Deno.test("--help lists every subcommand", async () => {
  const { code, stdout } = await cli(["--help"]);
  assert.equal(code, 0);
  for (const name of SUBCOMMANDS) assert.match(stdout, new RegExp(`^  ${name} `, "m"));
});

for (const name of SUBCOMMANDS) {
  Deno.test(`lattice ${name} --help prints its usage`, async () => {
    const { code, stdout } = await cli([name, "--help"]);
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`^Usage: lattice ${name}`, "m"));
    assert.match(stdout, /-h, --help/);
  });
}

Deno.test("an unknown command exits 2 and says so", async () => {
  const { code, stderr } = await cli(["frobnicate"]);
  assert.equal(code, 2);
  assert.match(stderr, /unknown command: lattice frobnicate/);
});

Deno.test("an unknown flag exits 2 naming the flag", async () => {
  const { code, stderr } = await cli(["version", "--bogus"]);
  assert.equal(code, 2);
  assert.match(stderr, /--bogus/);
});

Deno.test("no command prints the help and exits 2", async () => {
  const { code, stderr } = await cli([]);
  assert.equal(code, 2);
  assert.match(stderr, /Usage: lattice <command>/);
});

Deno.test("version prints version, deno and commit", async () => {
  const { code, stdout } = await cli(["version"], { LATTICE_GIT_COMMIT: "abc123" });
  assert.equal(code, 0);
  assert.match(stdout, /^lattice \d+\.\d+\.\d+/m);
  assert.match(stdout, new RegExp(`^deno ${Deno.version.deno}`, "m"));
  assert.match(stdout, /^commit abc123$/m);
});

Deno.test("main.ts --help runs as a process", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, "--help"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0);
  assert.match(new TextDecoder().decode(out.stdout), /Commands:/);
});
