/**
 * The cell's Flux side against the agent's, on two real API servers (a cell and its pivoted
 * child), joined by the real AgentRegistry and CommandDispatcher (the gRPC transport is
 * tested elsewhere): the cell sends FluxInstallCommand with the version inherited from the
 * repository config, holds an upgrade until its own Flux runs the new version (root first),
 * then sends FluxUpgradeCommand; an unknown version, a suspend, and an upgrade whose
 * controllers fail (rolled back) each land as status.flux and FluxReady on both copies of
 * the child's LatticeCluster. Controllers are stood in for (tests/flux/_standin.ts).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { AgentRegistry } from "../../lib/cell/registry.ts";
import { type AgentPayload, CommandDispatcher } from "../../lib/agent/handlers.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { LATTICE_CLUSTER_REF } from "../../lib/api/mod.ts";
import {
  CellFluxSync,
  FluxAgent,
  FluxInstaller,
  installedVersion,
  KUSTOMIZATION_REF,
  REPO_CONFIG_REF,
} from "../../lib/flux/mod.ts";
import { fluxDeployments } from "../../lib/flux/health.ts";
import { silentLogger } from "../../lib/log/mod.ts";
import { startControlPlane } from "../../lib/sandbox/mod.ts";
import { until } from "../_until.ts";
import { standInKubelet } from "../flux/_standin.ts";

interface Lc extends KubeObject {
  status?: {
    fluxVersion?: string;
    flux?: { version?: string; healthy?: boolean; suspended?: boolean; errors?: string[] };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

function clusterDoc(name: string, flux?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name },
    spec: {
      provider: { kubernetes: { version: "1.31.0" }, config: { docker: {} } },
      nodes: { controlPlane: 1, workers: 1 },
      // The cell is the root: a cellRef naming itself is refused by the CRD.
      ...(name === "cell" ? {} : { cellRef: "cell" }),
      ...(flux ? { flux } : {}),
    },
  } as KubeObject;
}

const ready = (c: Lc | undefined) => c?.status?.conditions?.find((x) => x.type === "FluxReady");

Deno.test("cell and agent: inherited version, root-first upgrade, refusals", async (t) => {
  const [cellPlane, childPlane] = await Promise.all([
    startControlPlane({ name: "flux-cell", crds: { lattice: true } }),
    startControlPlane({ name: "flux-child", crds: { lattice: true } }),
  ]);
  const cell = KubeClient.fromKubeconfig(cellPlane.kubeconfig);
  const child = KubeClient.fromKubeconfig(childPlane.kubeconfig);
  const broken = new Set<string>();
  const kubelets = [standInKubelet(cell, new Set()), standInKubelet(child, broken)];
  const registry = new AgentRegistry({ heartbeatIntervalMs: 60_000 });
  const agent = new FluxAgent(child, {
    clusterName: "child",
    pollMs: 300,
    healthTimeoutMs: 6_000,
    sourceProbeTimeoutMs: 3_000,
    logger: silentLogger,
  });
  const dispatcher = new CommandDispatcher(agent.handlers());
  const stop = new AbortController();
  // The child's agent, wired to the registry as the gRPC server would.
  const session = registry.attach("child", {
    write(command) {
      const send = (payload: AgentPayload) =>
        registry.receive(session, { clusterName: "child", payload });
      dispatcher.dispatch(command, {
        clusterName: "child",
        signal: stop.signal,
        send,
        logger: silentLogger,
      })
        .then((ack) => ack && send({ $case: "ack", value: ack }));
    },
    close() {},
  });
  agent.start((payload) => (registry.receive(session, { clusterName: "child", payload }), true));
  const sync = new CellFluxSync(cell, registry, {
    selfName: "cell",
    bootstrap: false,
    pollMs: 300,
    retryMs: 1_000,
    logger: silentLogger,
  });
  const cellFlux = new FluxInstaller(cell, { healthTimeoutMs: 6_000, pollMs: 200 });
  const parentCopy = () => cell.get<Lc>(LATTICE_CLUSTER_REF, "child");
  const ownCopy = () => child.get<Lc>(LATTICE_CLUSTER_REF, "child");
  try {
    // The cell runs Flux itself (folder children/cell) and holds the repository config.
    await cell.apply(clusterDoc("cell"));
    await cellFlux.install({
      version: "2.7.3",
      repoUrl: "http://127.0.0.1:1/fleet",
      branch: "main",
      path: "children/cell",
      gitCredentials: Buffer.from("alice:pw"),
      components: [],
      interval: "1m",
      suspend: false,
      force: false,
    });
    const repoConfig = (version: string) =>
      cell.apply({
        apiVersion: "lattice.dev/v1alpha1",
        kind: "LatticeRepoConfig",
        metadata: { name: "config" },
        spec: { flux: { version, interval: "45s" } },
      } as KubeObject);
    await repoConfig("2.7.3");
    // The child, pivoted, on both sides.
    await cell.apply(clusterDoc("child"));
    await child.apply(clusterDoc("child"));
    await cell.patchStatus(LATTICE_CLUSTER_REF, "child", undefined, {
      status: {
        phase: "Ready",
        conditions: [{
          type: "Pivoted",
          status: "True",
          reason: "PivotComplete",
          message: "",
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        }],
      },
    });
    sync.start();

    await t.step("the child gets Flux from the repository config, in its folder", async () => {
      const c = await until("child Flux 2.7.3", async () => {
        const c = await parentCopy();
        return c.status?.fluxVersion === "2.7.3" && ready(c)?.status === "True" ? c : undefined;
      }, 60_000);
      assert.equal(c.status?.flux?.healthy, true);
      const kust = await child.get<{ spec: { path: string; interval: string } }>(
        KUSTOMIZATION_REF,
        "cluster-config",
        "flux-system",
      );
      assert.equal(kust.spec.path, "./children/cell/children/child");
      assert.equal(kust.spec.interval, "45s");
      await until("own copy", async () => {
        const own = await ownCopy();
        return own.status?.fluxVersion === "2.7.3" ? true : undefined;
      }, 30_000);
    });

    await t.step(
      "root first: the child waits until the cell itself runs the new version",
      async () => {
        await repoConfig("2.9.3");
        await new Promise((r) => setTimeout(r, 3_000));
        assert.equal(installedVersion(await fluxDeployments(child)), "2.7.3");
        await cellFlux.upgrade("2.9.3", false);
        await until("child upgraded", async () => {
          const c = await parentCopy();
          return c.status?.fluxVersion === "2.9.3" && ready(c)?.status === "True"
            ? true
            : undefined;
        }, 60_000);
        assert.equal(installedVersion(await fluxDeployments(child)), "2.9.3");
      },
    );

    await t.step("an unknown pinned version is refused, the child keeps its Flux", async () => {
      await cell.apply(clusterDoc("child", { version: "2.99.0" }));
      const c = await until("UnsupportedVersion", async () => {
        const c = await parentCopy();
        return ready(c)?.reason === "UnsupportedVersion" ? c : undefined;
      }, 30_000);
      assert.match(
        ready(c)!.message!,
        /2\.99\.0 \(from the cluster\).*not supported.*2\.9\.3 keeps/,
      );
      assert.equal(installedVersion(await fluxDeployments(child)), "2.9.3");
    });

    await t.step("suspend follows spec.flux.suspend", async () => {
      await cell.apply(clusterDoc("child", { suspend: true }));
      await until("suspended on both copies", async () => {
        const [p, o] = [await parentCopy(), await ownCopy()];
        return p.status?.flux?.suspended && o.status?.flux?.suspended &&
            ready(p)?.reason === "Suspended"
          ? true
          : undefined;
      }, 30_000);
      const kust = await child.get<{ spec: { suspend: boolean } }>(
        KUSTOMIZATION_REF,
        "cluster-config",
        "flux-system",
      );
      assert.equal(kust.spec.suspend, true);
    });

    await t.step("a pinned version whose controllers fail is rolled back", async () => {
      broken.add("v1.7.3");
      broken.add("v1.7.2");
      await cell.apply(clusterDoc("child", { version: "2.7.3" }));
      const c = await until("RolledBack", async () => {
        const c = await parentCopy();
        return ready(c)?.reason === "RolledBack" ? c : undefined;
      }, 60_000);
      assert.match(ready(c)!.message!, /rolled back to Flux 2\.9\.3/);
      assert.equal(installedVersion(await fluxDeployments(child)), "2.9.3");
      const own = await ownCopy();
      assert.ok(own.status?.flux?.errors?.some((e) => /rolled back/.test(e)));
    });

    await t.step(
      "the repository config reaches a parent without Flux through the child",
      async () => {
        // What a bootstrap cell does: the child reports what its own repo config says.
        await child.apply({
          apiVersion: "lattice.dev/v1alpha1",
          kind: "LatticeRepoConfig",
          metadata: { name: "config" },
          spec: { flux: { version: "2.9.3" } },
        } as KubeObject);
        const status = await agent.status();
        assert.equal(status.repoFluxVersion, "2.9.3");
        assert.equal((await child.list(REPO_CONFIG_REF)).items.length, 1);
      },
    );
  } finally {
    stop.abort();
    await sync.stop();
    await agent.stop();
    registry.close();
    for (const k of kubelets) await k.stop();
    cell.close();
    child.close();
    await Promise.all([cellPlane.stop(), childPlane.stop()]);
  }
});
