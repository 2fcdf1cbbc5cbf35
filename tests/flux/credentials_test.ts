/** Git credentials in every accepted form, and clear errors for the rest. */
import assert from "node:assert/strict";
import {
  gitCredentialsData,
  gitCredentialsProblem,
  readGitSource,
  repoUrlProblem,
} from "../../lib/flux/mod.ts";

const enc = (t: string) => new TextEncoder().encode(t);

Deno.test("credential forms map to source-controller's Secret keys", () => {
  assert.deepEqual(gitCredentialsData(enc("")), {});
  assert.deepEqual(gitCredentialsData(enc("alice:s3:cret\n")), {
    username: "alice",
    password: "s3:cret",
  });
  assert.deepEqual(gitCredentialsData(enc("ghp_token")), {
    username: "git",
    password: "ghp_token",
  });
  const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----";
  assert.deepEqual(gitCredentialsData(enc(key)), { identity: key + "\n" });
  assert.deepEqual(gitCredentialsData(enc("bearerToken: xyz\nca.crt: pem\n")), {
    bearerToken: "xyz",
    "ca.crt": "pem",
  });
});

Deno.test("bad credentials are refused with the reason", () => {
  assert.match(gitCredentialsProblem(":nouser")!, /username before ':' is empty/);
  assert.match(gitCredentialsProblem("username: x\nhacker: y\n")!, /unknown key hacker/);
  assert.match(
    gitCredentialsProblem("username: a\npassword: \n")!,
    /password must be a non-empty string/,
  );
  assert.match(gitCredentialsProblem("alice:")!, /password after ':' is empty/);
  assert.match(gitCredentialsProblem("- a\n- b\n")!, /expected a key/);
  assert.equal(gitCredentialsProblem("alice:pw"), undefined);
});

Deno.test("repository URLs and the install flags are checked before anything runs", async () => {
  assert.equal(repoUrlProblem("https://github.com/acme/fleet"), undefined);
  assert.equal(repoUrlProblem("ssh://git@github.com/acme/fleet"), undefined);
  assert.match(repoUrlProblem("github.com/acme")!, /not a URL/);
  assert.match(repoUrlProblem("ftp://x/y")!, /scheme ftp is not supported/);
  assert.match(repoUrlProblem("https://u:p@x/y")!, /carries a password/);
  await assert.rejects(() => readGitSource("nope", undefined), /invalid --git-repo/);
  await assert.rejects(
    () => readGitSource("https://x/y", "/nonexistent/creds"),
    /Cannot read \/nonexistent\/creds/,
  );
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "weird: 1\n");
    await assert.rejects(() => readGitSource("https://x/y", file), /unknown key weird/);
    await Deno.writeTextFile(file, "alice:pw\n");
    const ok = await readGitSource("https://x/y", file, "release");
    assert.equal(ok.branch, "release");
    await assert.rejects(() => readGitSource("https://x/y", file, "a..b"), /invalid --git-branch/);
  } finally {
    await Deno.remove(file);
  }
});
