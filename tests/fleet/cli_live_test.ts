import assert from "node:assert/strict";
import { cli } from "../cli/_cli.ts";
import { entry } from "./_fixtures.ts";
import { GOOD_TOKEN, sampleFleet, servePage } from "./_page_server.ts";

Deno.test("cluster tree --live: where to read, and what is printed", async (t) => {
  const fleet = sampleFleet(0);
  const server = servePage(fleet);
  const home = await Deno.makeTempDir({ prefix: "lattice-live-" });
  const env = { HOME: home };
  try {
    await t.step("without a cell or a running sandbox it says what is missing", async () => {
      const r = await cli(["cluster", "tree", "--live"], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no cell given \(--cell URL or LATTICE_CELL_URL/);
      const noToken = await cli(["cluster", "tree", "--live", "--cell", server.url], env);
      assert.equal(noToken.code, 1);
      assert.match(noToken.stderr, /no bearer token/);
      const watch = await cli(["cluster", "tree", "--watch"], env);
      assert.equal(watch.code, 2);
      assert.match(watch.stderr, /--watch needs --live/);
    });

    await t.step("once: the tree with glyphs, versions and heartbeat age", async () => {
      const r = await cli(["cluster", "tree", "--live"], {
        ...env,
        LATTICE_CELL_URL: server.url,
        LATTICE_TOKEN: GOOD_TOKEN,
      });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split("\n");
      assert.match(lines[0], /^Live fleet of cell bootstrap \(3 clusters, at /);
      assert.match(lines[1], /^✔ bootstrap {2}Ready {2}cell {2}k8s 1\.36\.3$/);
      assert.match(lines[2], /^└── ✔ mgmt {2}Ready {2}cell {2}k8s 1\.31\.0 {2}flux 2\.6\.4/);
      assert.match(lines[3], /^ {4}└── ✔ workload {2}Ready {2}leaf .*heartbeat \d+s ago$/);
      const json = await cli(["cluster", "tree", "--live", "-o", "json", "--cell", server.url], {
        ...env,
        LATTICE_TOKEN: GOOD_TOKEN,
      });
      assert.equal(JSON.parse(json.stdout).clusters.length, 3);
    });

    await t.step("the sandbox's state file supplies cell and token", async () => {
      const dir = `${home}/.cache/lattice/sandbox`;
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(`${dir}/fleet-token`, `${GOOD_TOKEN}\n`);
      await Deno.writeTextFile(
        `${dir}/state.json`,
        JSON.stringify({ fleet: { cellUrl: server.url, tokenFile: `${dir}/fleet-token` } }),
      );
      const r = await cli(["cluster", "tree", "--live"], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /└── ✔ workload/);
    });

    await t.step("--watch prints the tree again on a change", async () => {
      const watching = cli(
        ["cluster", "tree", "--live", "--watch", "--updates", "2", "--cell", server.url],
        { ...env, LATTICE_TOKEN: GOOD_TOKEN },
      );
      await new Promise((r) => setTimeout(r, 500));
      fleet.mgmt.setLocalChild("workload", {
        summary: entry("workload", "mgmt", { phase: "Failed", agentConnected: true }),
        pivoted: true,
      });
      fleet.link.flush();
      const r = await watching;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /✔ workload {2}Ready[\s\S]*✖ workload {2}Failed/);
    });

    await t.step("a refused token is a clear error", async () => {
      const r = await cli(["cluster", "tree", "--live", "--cell", server.url, "--token", "x"], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /refused \/fleet\/api\/state \(HTTP 401\): Unauthorized/);
    });
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});
