/**
 * The sandbox's git server: the real `git http-backend` behind the CGI bridge, cloned and
 * fetched by the real git client; basic auth refused when wrong; oversized bodies refused.
 */
import assert from "node:assert/strict";
import { parseCgi, startGitServer } from "../../lib/sandbox/git_server.ts";
import { commitAll, createSandboxRepo } from "../../lib/sandbox/gitops_repo.ts";
import { exampleClusters } from "../../lib/sandbox/examples.ts";

async function git(...args: string[]) {
  const out = await new Deno.Command("git", {
    args,
    env: { GIT_TERMINAL_PROMPT: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("parseCgi splits status, headers and body", () => {
  const out = parseCgi(new TextEncoder().encode("Status: 404 Not Found\r\nX-A: 1\r\n\r\nbody"));
  assert.equal(out.status, 404);
  assert.equal(out.headers.get("x-a"), "1");
  assert.equal(new TextDecoder().decode(out.body), "body");
  assert.equal(parseCgi(new TextEncoder().encode("Content-Type: t\n\nx")).status, 200);
  assert.throws(() => parseCgi(new TextEncoder().encode("no end")), /no header end/);
});

Deno.test("git http-backend serves the sandbox repository to a real git client", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-git-" });
  const auth = { username: "lattice", password: "pw" };
  const server = await startGitServer({ projectRoot: dir, auth, maxBodyBytes: 1024 * 1024 });
  try {
    const files = await createSandboxRepo({
      dir: `${dir}/fleet`,
      clusters: exampleClusters(),
      rootParent: "bootstrap",
      fluxVersion: "2.9.3",
    });
    assert.ok(files.includes("children/workload/cluster.yaml"));
    assert.ok(files.includes(".lattice/config.yaml"));
    const host = server.url.slice("http://".length);
    const good = await git("clone", "-q", `http://lattice:pw@${host}/fleet`, `${dir}/clone`);
    assert.ok(good.ok, good.stderr);
    assert.match(
      await Deno.readTextFile(`${dir}/clone/children/workload/cluster.yaml`),
      /name: workload/,
    );
    // A new commit is what a fetch sees next.
    await Deno.writeTextFile(`${dir}/fleet/new.txt`, "x\n");
    const head = await commitAll(`${dir}/fleet`, "New");
    assert.ok((await git("-C", `${dir}/clone`, "pull", "-q")).ok);
    const cloned = await new Deno.Command("git", {
      args: ["-C", `${dir}/clone`, "rev-parse", "HEAD"],
      stdout: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(cloned.stdout).trim(), head);
    const bad = await git("clone", "-q", `http://lattice:nope@${host}/fleet`, `${dir}/bad`);
    assert.equal(bad.ok, false);
    assert.match(bad.stderr, /Authentication failed/);
    const big = await fetch(`${server.url}/fleet/git-upload-pack`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa("lattice:pw")}` },
      body: new Uint8Array(2 * 1024 * 1024),
    });
    assert.equal(big.status, 413);
    await big.body?.cancel();
    assert.ok(server.requests() > 3);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
