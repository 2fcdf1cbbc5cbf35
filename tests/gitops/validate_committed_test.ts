/**
 * `lattice validate` in a real git checkout compares changed cluster files with their
 * committed version (HEAD): the operator's rules against what runs — immutable fields,
 * no downgrade, one minor at a time — with the operator's messages.
 */
import assert from "node:assert/strict";
import { lattice, tempRepo } from "./fixtures.ts";

const P1 = "children/us/children/us-prod-1/cluster.yaml";

async function git(dir: string, ...args: string[]) {
  const out = await new Deno.Command("git", {
    args: ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

Deno.test("validate checks changed clusters against their committed version", async () => {
  const dir = await tempRepo();
  try {
    await Deno.remove(`${dir}/.git`, { recursive: true });
    await git(dir, "init", "-q");
    await git(dir, "add", ".");
    await git(dir, "commit", "-qm", "base");
    assert.equal((await lattice(dir, "validate")).code, 0, "the committed repo is valid");

    const text = await Deno.readTextFile(`${dir}/${P1}`);
    await Deno.writeTextFile(
      `${dir}/${P1}`,
      text.replace('version: "1.31.0"', 'version: "1.33.0"').replace(
        "bootstrap: rke2",
        "bootstrap: kubeadm",
      ),
    );
    const r = await lattice(dir, "validate", "--output", "json");
    const errors = (JSON.parse(r.stdout) as { errors: { field: string; message: string }[] })
      .errors.map((e) => `${e.field}: ${e.message}`);
    assert.equal(r.code, 1);
    assert.deepEqual(errors, [
      "spec.provider.kubernetes.version: skips minor versions from the running 1.31.0: " +
      "upgrade one minor version at a time (next: 1.32.x)",
      "spec.provider.kubernetes.bootstrap: is immutable: an existing cluster keeps its " +
      "bootstrap (kubeadm or rke2); create a new cluster to change it",
    ]);

    // One minor up is an upgrade, not a problem; the bootstrap restored is fine again.
    await Deno.writeTextFile(
      `${dir}/${P1}`,
      text.replace('version: "1.31.0"', 'version: "1.32.0"'),
    );
    assert.equal((await lattice(dir, "validate")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
