/**
 * The fleet at a glance on the sandbox's three levels (bootstrap → mgmt → workload, real
 * control planes and operators, CAPI simulated): the root cell's live state holds every
 * cluster and follows a phase change on the grandchild within two heartbeats; a cut link
 * marks the subtree stale and heals; the page, driven by real headless Chromium, refuses
 * without a token, shows the tree and updates without reload; `lattice cluster tree --live`
 * prints the same tree. A screenshot is kept in tests/artifacts/fleet_view_sandbox.png.
 */
import assert from "node:assert/strict";
import {
  exampleClusters,
  inProcessOperator,
  kubectl,
  Sandbox,
  sourceShim,
} from "../../lib/sandbox/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { KubeClient } from "../../lib/kube/mod.ts";
import { LATTICE_CLUSTER_REF } from "../../lib/api/mod.ts";
import {
  fetchFleet,
  type FleetClientOptions,
  type FleetRow,
  fleetViewerToken,
  followFleet,
} from "../../lib/fleet/mod.ts";
import { Browser } from "../_browser/cdp.ts";
import { signIn } from "../fleet/_page_checks.ts";
import { cli } from "../cli/_cli.ts";

const HEARTBEAT_MS = 2_000;

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const byName = (rows: FleetRow[]) => new Map(rows.map((r) => [r.name, r]));

async function deleteOnParent(kubeconfig: string, name: string): Promise<void> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    await client.delete(LATTICE_CLUSTER_REF, name);
  } finally {
    client.close();
  }
}

async function ownPhase(kubeconfig: string, name: string): Promise<string | undefined> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const lc = await client.get<{ status?: { phase?: string } }>(LATTICE_CLUSTER_REF, name);
    return lc.status?.phase;
  } finally {
    client.close();
  }
}

Deno.test("fleet view: the root sees the whole sandbox live, in the CLI and in Chromium", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-fleet-e2e-" });
  const log = createLogger({
    level: Deno.env.get("LATTICE_LOG") === "debug" ? "debug" : "error",
    format: "text",
  });
  const sandbox = await Sandbox.up({
    clusters: exampleClusters(),
    dir,
    logger: log,
    timeoutMs: 300_000,
    startOperator: inProcessOperator({
      binary: await sourceShim(`${dir}/bin`),
      heartbeatIntervalMs: HEARTBEAT_MS,
    }),
  });
  let browser: Browser | undefined;
  const stopFollowing = new AbortController();
  let following: Promise<unknown> = Promise.resolve();
  try {
    const root = sandbox.operatorOf("bootstrap")!;
    const bootstrapClient = KubeClient.fromKubeconfig(sandbox.bootstrap.kubeconfig);
    const token = await fleetViewerToken(bootstrapClient, 3_600).finally(() =>
      bootstrapClient.close()
    );
    const target: FleetClientOptions = { cellUrl: root.cellUrl!, token, caPem: root.caPem };
    const workload = sandbox.planeOf("workload")!;

    // Everything the root's stream says, with when it said it.
    const seen: { at: number; rows: Map<string, FleetRow> }[] = [];
    following = followFleet({ ...target, signal: stopFollowing.signal }, (s) => {
      seen.push({ at: Date.now(), rows: byName(s.clusters) });
    }).catch((error) => {
      if (!stopFollowing.signal.aborted) throw error;
    });

    await t.step("the root's state shows every cluster of the three levels", async () => {
      const rows = await until("every cluster, connected, at the root", async () => {
        const s = await fetchFleet(target);
        const m = byName(s.clusters);
        const w = m.get("workload");
        // The child's own status (its truth after the pivot) turns Ready at its first
        // self-reconcile, possibly a moment after its parent's copy did.
        const ready = w?.phase === "Ready" && m.get("mgmt")?.phase === "Ready";
        return ready && w.connected && w.nodesTotal > 0 && m.get("mgmt")?.connected ? m : undefined;
      });
      assert.deepEqual([...rows.keys()].sort(), ["bootstrap", "mgmt", "workload"]);
      assert.equal(rows.get("workload")!.parent, "mgmt");
      assert.equal(rows.get("mgmt")!.parent, "bootstrap");
      assert.equal(rows.get("mgmt")!.cell, true);
      assert.equal(rows.get("workload")!.cell, false);
      assert.equal(rows.get("workload")!.phase, "Ready");
      assert.equal(rows.get("workload")!.kubernetesVersion, "1.31.0");
      assert.equal(rows.get("workload")!.labels.tier, "workload");
      assert.ok(rows.get("workload")!.lastHeartbeat! > Date.now() - 60_000);
    });

    await t.step("lattice cluster tree --live prints the same tree", async () => {
      const caFile = `${dir}/ca.pem`;
      await Deno.writeTextFile(caFile, root.caPem!);
      const args = ["--cell", root.cellUrl!, "--token", token, "--ca", caFile];
      const once = await cli(["cluster", "tree", "--live", ...args]);
      assert.equal(once.code, 0, once.stderr);
      const lines = once.stdout.split("\n");
      assert.match(lines[0], /^Live fleet of cell bootstrap \(3 clusters/);
      assert.match(lines[1], /^✔ bootstrap {2}Ready {2}cell/);
      assert.match(lines[2], /^└── ✔ mgmt {2}Ready {2}cell {2}k8s 1\.31\.0 .*heartbeat \d+s ago/);
      assert.match(lines[3], /^ {4}└── ✔ workload {2}Ready {2}leaf {2}k8s 1\.31\.0/);
      const watch = await cli(["cluster", "tree", "--live", "--watch", "--updates", "1", ...args]);
      assert.equal(watch.code, 0, watch.stderr);
      assert.match(watch.stdout, /└── ✔ workload/);
      const refused = await cli([
        "cluster",
        "tree",
        "--live",
        "--cell",
        root.cellUrl!,
        "--token",
        "wrong",
        "--ca",
        caFile,
      ]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /HTTP 401.*not valid/);
    });

    await t.step(
      "the page's kubeconfig reaches a child through the proxy (real kubectl)",
      async () => {
        const client = Deno.createHttpClient({ caCerts: [root.caPem!] });
        try {
          const res = await fetch(`${root.cellUrl}/fleet/api/clusters/mgmt/kubeconfig`, {
            client,
            headers: { authorization: `Bearer ${token}` },
          });
          assert.equal(res.status, 200);
          const path = `${dir}/mgmt.kubeconfig.yaml`;
          await Deno.writeTextFile(path, await res.text());
          // /version is open to every authenticated user: the request went cell → stream →
          // mgmt's API server, impersonating the viewer.
          const version = await kubectl({ kubeconfigPath: path }, ["get", "--raw", "/version"]);
          assert.match(version.stdout, /"gitVersion"/);
          const deep = await fetch(`${root.cellUrl}/fleet/api/clusters/workload/kubeconfig`, {
            client,
            headers: { authorization: `Bearer ${token}` },
          });
          assert.match(
            await deep.text(),
            /server: https:\/\/localhost:\d+\/clusters\/mgmt\/clusters\/workload/,
          );
        } finally {
          client.close();
        }
      },
    );

    await t.step("the page refuses without a token, then shows the tree", async () => {
      const client = Deno.createHttpClient({ caCerts: [root.caPem!] });
      const bare = await fetch(`${root.cellUrl}/fleet/api/state`, { client });
      assert.equal(bare.status, 401);
      await bare.body?.cancel();
      client.close();
      browser = await Browser.launch({ width: 1400, height: 1000 });
      await browser.goto(`${root.cellUrl}/fleet/`);
      await browser.waitFor("!document.getElementById('login').hidden");
      assert.equal(await browser.eval("document.querySelectorAll('[role=treeitem]').length"), 0);
      await signIn(browser, token);
      await browser.waitFor("document.querySelectorAll('[role=treeitem]').length === 3", 30_000);
      const tree = await browser.eval<string[][]>(
        "[...document.querySelectorAll('[role=treeitem]')].map(li => [li.dataset.name, li.getAttribute('aria-level')])",
      );
      assert.deepEqual(tree, [["bootstrap", "1"], ["mgmt", "2"], ["workload", "3"]]);
      await browser.eval("document.querySelector('[data-name=workload]').click()");
      await browser.waitFor("document.getElementById('detail-title').textContent === 'workload'");
    });

    await t.step("a cut link marks the subtree stale at the root, and heals", async () => {
      await sandbox.stopOperator("mgmt");
      const stale = await until("mgmt's subtree stale at the root", async () => {
        const m = byName((await fetchFleet(target)).clusters);
        return m.get("mgmt")?.connected === false && m.get("workload")?.stale ? m : undefined;
      }, 60_000);
      assert.equal(stale.get("mgmt")!.stale, true);
      assert.equal(stale.get("bootstrap")!.stale, false);
      await browser!.waitFor(
        "document.querySelector('[data-name=workload] .stale') !== null",
        30_000,
      );
      await sandbox.restartOperator("mgmt");
      const healed = await until("the subtree fresh again", async () => {
        const m = byName((await fetchFleet(target)).clusters);
        const w = m.get("workload");
        return m.get("mgmt")?.connected && !m.get("mgmt")?.stale && w && !w.stale && w.connected
          ? m
          : undefined;
      }, 120_000);
      assert.equal(healed.get("workload")!.phase, "Ready");
      await browser!.waitFor("document.querySelector('[data-name=workload] .stale') === null");
    });
    // Last: deleting the grandchild from its parent (what git does) is a real phase change
    // it makes itself (Deleting, while the unpivot takes its CAPI objects back).
    await t.step(
      "a phase change on the grandchild reaches the root within two heartbeats",
      async () => {
        await browser!.eval("window.__reloadMarker = 1");
        await deleteOnParent(sandbox.planeOf("mgmt")!.kubeconfig, "workload");
        const changed = await until("workload's own phase Deleting", async () => {
          return (await ownPhase(workload.kubeconfig, "workload")) === "Deleting" ? Date.now() : 0;
        }, 60_000);
        const arrived = await until("Deleting at the root", () => {
          const hit = seen.find((s) => s.rows.get("workload")?.phase === "Deleting");
          return Promise.resolve(hit?.at);
        }, 60_000);
        const lag = arrived - changed;
        console.log(`phase change: root followed ${lag} ms after the child's own status`);
        assert.ok(lag <= 2 * HEARTBEAT_MS, `root followed after ${lag} ms (> two heartbeats)`);
        // The page follows without reload.
        await browser!.waitFor(
          "document.querySelector('[data-name=workload] .phase').textContent.includes('Deleting')",
          30_000,
        );
        assert.equal(await browser!.eval("window.__reloadMarker"), 1, "no reload");
        await Deno.mkdir("tests/artifacts", { recursive: true });
        await browser!.screenshot("tests/artifacts/fleet_view_sandbox.png");
      },
    );
  } finally {
    stopFollowing.abort();
    await Promise.race([following, new Promise((r) => setTimeout(r, 5_000))]);
    await browser?.close();
    await sandbox.down();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
