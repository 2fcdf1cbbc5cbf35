import assert from "node:assert/strict";
import { parse } from "yaml";
import { kubeconfigCommand } from "../../lib/cli/commands/kubeconfig.ts";
import { type CliContext, runCli } from "../../lib/cli/mod.ts";
import { proxyKubeconfig, proxyServerUrl } from "../../lib/proxy/mod.ts";

async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    cwd: Deno.cwd(),
  };
  const code = await runCli(kubeconfigCommand, args, ctx);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

Deno.test("proxyServerUrl builds the hop path and refuses bad input", () => {
  assert.equal(proxyServerUrl("https://cell:8443/", ["a"]), "https://cell:8443/clusters/a");
  assert.equal(
    proxyServerUrl("https://cell/base", ["a", "b"]),
    "https://cell/base/clusters/a/clusters/b",
  );
  assert.throws(() => proxyServerUrl("http://cell", ["a"]), /not https/);
  assert.throws(() => proxyServerUrl("https://cell", ["A"]), /DNS label/);
  assert.throws(() => proxyServerUrl("https://cell", []), /no cluster/);
  assert.throws(() => proxyServerUrl("nope", ["a"]), /not a URL/);
});

Deno.test("proxyKubeconfig holds one context with the token and the CA", () => {
  const config = parse(proxyKubeconfig({
    cellUrl: "https://cell",
    clusters: ["a"],
    token: "t0k",
    caPem: "PEM",
  }));
  assert.equal(config["current-context"], "a");
  assert.equal(config.clusters[0].cluster.server, "https://cell/clusters/a");
  assert.equal(atob(config.clusters[0].cluster["certificate-authority-data"]), "PEM");
  assert.deepEqual(config.users[0].user, { token: "t0k" });
  assert.equal(config.clusters[0].cluster["tls-server-name"], undefined);
});

Deno.test("proxyKubeconfig checks the cell's certificate against tlsServerName", () => {
  const config = parse(proxyKubeconfig({
    cellUrl: "https://172.18.0.3:31443",
    clusters: ["a"],
    caPem: "PEM",
    tlsServerName: "root-control-plane-abcde",
  }));
  assert.deepEqual(config.clusters[0].cluster, {
    server: "https://172.18.0.3:31443/clusters/a",
    "certificate-authority-data": btoa("PEM"),
    "tls-server-name": "root-control-plane-abcde",
  });
});

Deno.test("lattice kubeconfig writes a file readable by its owner only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/token`, "secret-token\n");
    await Deno.writeTextFile(`${dir}/ca.pem`, "CA");
    const output = `${dir}/out.yaml`;
    const r = await run([
      "--cluster",
      "r/leaf",
      "--via",
      "https://cell.example:8443",
      "--token-file",
      `${dir}/token`,
      "--ca-file",
      `${dir}/ca.pem`,
      "--output",
      output,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /clusters\/r\/clusters\/leaf/);
    assert.doesNotMatch(r.stderr, /secret-token/);
    assert.equal((await Deno.stat(output)).mode! & 0o777, 0o600);
    const config = parse(await Deno.readTextFile(output));
    assert.equal(
      config.clusters[0].cluster.server,
      "https://cell.example:8443/clusters/r/clusters/leaf",
    );
    assert.deepEqual(config.users[0].user, { token: "secret-token" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lattice kubeconfig copies the current user of the source kubeconfig", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const source = `${dir}/config`;
    await Deno.writeTextFile(
      source,
      JSON.stringify({
        "current-context": "me",
        contexts: [{ name: "me", context: { user: "u" } }],
        users: [{ name: "u", user: { exec: { command: "get-token" } } }],
      }),
    );
    const r = await run(["--cluster", "a"], {
      LATTICE_CELL_URL: "https://cell",
      KUBECONFIG: source,
    });
    assert.equal(r.code, 0, r.stderr);
    const config = parse(r.stdout);
    assert.deepEqual(config.users[0].user, { exec: { command: "get-token" } });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lattice kubeconfig reports usage errors", async () => {
  assert.equal((await run([])).code, 2);
  const noVia = await run(["--cluster", "a"]);
  assert.equal(noVia.code, 2);
  assert.match(noVia.stderr, /--via/);
  const bad = await run(["--cluster", "A", "--via", "https://cell", "--token-file", "/dev/null"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /DNS label/);
});
