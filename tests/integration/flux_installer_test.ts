/**
 * The Flux installer on a real kube-apiserver: the vendored releases applied server-side,
 * the sync objects written, an upgrade whose controllers never become available rolled back
 * to the previous release, an unknown version refused with nothing applied, a changed
 * source that cannot be fetched refused with the live source untouched.
 *
 * The Deployments' status is written by a stand-in kubelet in this test that can be told to
 * fail a release (the sandbox's real-Flux kubelet is exercised by tests/e2e/gitops_test.ts).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { DEPLOYMENT_REF, KubeClient, type KubeObject, SECRET_REF } from "../../lib/kube/mod.ts";
import {
  FLUX_NAMESPACE,
  FluxInstaller,
  FluxInstallError,
  fluxStatus,
  GIT_REPOSITORY_REF,
  KUSTOMIZATION_REF,
} from "../../lib/flux/mod.ts";
import type { FluxInstallCommand } from "../../lib/proto/lattice/agent/v1/agent.ts";
import { withControlPlane } from "./_plane.ts";
import { standInKubelet } from "../flux/_standin.ts";

function command(over: Partial<FluxInstallCommand> = {}): FluxInstallCommand {
  return {
    version: "2.7.3",
    repoUrl: "http://127.0.0.1:1/fleet",
    branch: "main",
    path: "children/eu",
    gitCredentials: Buffer.from("alice:s3cret"),
    components: [],
    interval: "30s",
    suspend: false,
    force: false,
    ...over,
  };
}

async function images(client: KubeClient): Promise<string[]> {
  const list = await client.list<
    KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }
  >(DEPLOYMENT_REF, { namespace: FLUX_NAMESPACE });
  return list.items.map((d) => d.spec.template.spec.containers[0].image).sort();
}

Deno.test("flux installer: install, rollback, refusals on a real API server", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    const broken = new Set<string>();
    const kubelet = standInKubelet(client, broken);
    const installer = new FluxInstaller(client, {
      healthTimeoutMs: 8_000,
      sourceProbeTimeoutMs: 3_000,
      pollMs: 200,
    });
    try {
      await t.step("install writes controllers, credentials and sync objects", async () => {
        await installer.install(command());
        assert.deepEqual(await images(client), [
          "ghcr.io/fluxcd/kustomize-controller:v1.7.2",
          "ghcr.io/fluxcd/source-controller:v1.7.3",
        ]);
        const repo = await client.get<{ spec: Record<string, unknown> }>(
          GIT_REPOSITORY_REF,
          "lattice-clusters",
          FLUX_NAMESPACE,
        );
        assert.equal(repo.spec.url, "http://127.0.0.1:1/fleet");
        assert.deepEqual(repo.spec.secretRef, { name: "git-credentials" });
        assert.equal(repo.spec.interval, "30s");
        const kust = await client.get<{ spec: Record<string, unknown> }>(
          KUSTOMIZATION_REF,
          "cluster-config",
          FLUX_NAMESPACE,
        );
        assert.equal(kust.spec.path, "./children/eu");
        assert.equal(kust.spec.prune, true);
        assert.equal(kust.spec.wait, true);
        const secret = await client.get<{ data: Record<string, string> }>(
          SECRET_REF,
          "git-credentials",
          FLUX_NAMESPACE,
        );
        assert.equal(atob(secret.data.username), "alice");
        assert.equal(atob(secret.data.password), "s3cret");
        const status = await fluxStatus(client, ["source-controller", "kustomize-controller"]);
        assert.equal(status.version, "2.7.3");
        assert.equal(status.healthy, true);
        assert.deepEqual(status.controllerStatus, {
          "source-controller": "Running",
          "kustomize-controller": "Running",
        });
      });

      await t.step("suspend follows the command", async () => {
        await installer.install(command({ suspend: true }));
        const kust = await client.get<{ spec: { suspend?: boolean } }>(
          KUSTOMIZATION_REF,
          "cluster-config",
          FLUX_NAMESPACE,
        );
        assert.equal(kust.spec.suspend, true);
        assert.equal((await fluxStatus(client, [])).suspended, true);
        await installer.install(command());
        assert.equal((await fluxStatus(client, [])).suspended, false);
      });

      await t.step("an unknown version is refused and nothing changes", async () => {
        await assert.rejects(
          () => installer.upgrade("2.99.0", false),
          (e: FluxInstallError) =>
            e.reason === "UnsupportedVersion" && /2\.99\.0 is not supported/.test(e.message),
        );
        assert.equal((await fluxStatus(client, [])).version, "2.7.3");
      });

      await t.step("an aborted operation stops at once and changes nothing", async () => {
        const before = await images(client);
        const aborted = AbortSignal.abort(new Error("shutting down"));
        await assert.rejects(() => installer.upgrade("2.9.3", false, aborted), /shutting down/);
        assert.deepEqual(await images(client), before);
        // Aborted while it runs (the new controllers never become healthy): it stops within
        // a second, and the next operation on the same installer runs normally.
        broken.add("v1.9.3");
        broken.add("v1.9.4");
        const stop = new AbortController();
        const upgrading = installer.upgrade("2.9.3", false, stop.signal);
        await new Promise((r) => setTimeout(r, 500));
        const t0 = performance.now();
        stop.abort(new Error("lost the stream"));
        await assert.rejects(() => upgrading, /lost the stream/);
        assert.ok(performance.now() - t0 < 1_000, "the upgrade stopped within a second");
        broken.clear();
        await installer.install(command());
        assert.deepEqual(await images(client), before);
      });

      await t.step("unhealthy new controllers are rolled back", async () => {
        broken.add("v1.9.3");
        broken.add("v1.9.4");
        await assert.rejects(
          () => installer.upgrade("2.9.3", false),
          (e: FluxInstallError) =>
            e.reason === "RolledBack" && /rolled back to Flux 2\.7\.3/.test(e.message),
        );
        assert.deepEqual(await images(client), [
          "ghcr.io/fluxcd/kustomize-controller:v1.7.2",
          "ghcr.io/fluxcd/source-controller:v1.7.3",
        ]);
        const status = await fluxStatus(client, ["source-controller", "kustomize-controller"]);
        assert.equal(status.version, "2.7.3");
        assert.equal(status.healthy, true);
      });

      await t.step("a healthy upgrade moves every controller", async () => {
        broken.clear();
        await installer.upgrade("2.9.3", false);
        assert.deepEqual(await images(client), [
          "ghcr.io/fluxcd/kustomize-controller:v1.9.4",
          "ghcr.io/fluxcd/source-controller:v1.9.3",
        ]);
        assert.equal((await fluxStatus(client, [])).version, "2.9.3");
      });

      await t.step("a source that cannot be fetched leaves the live one", async () => {
        // No source-controller runs here, so the probe never becomes Ready.
        await assert.rejects(
          () =>
            installer.install(
              command({ version: "2.9.3", repoUrl: "http://127.0.0.1:2/elsewhere" }),
            ),
          (e: FluxInstallError) =>
            e.reason === "SourceUnavailable" && /previous source/.test(e.message),
        );
        const repo = await client.get<{ spec: { url: string } }>(
          GIT_REPOSITORY_REF,
          "lattice-clusters",
          FLUX_NAMESPACE,
        );
        assert.equal(repo.spec.url, "http://127.0.0.1:1/fleet");
        const probe = await client.get(GIT_REPOSITORY_REF, "lattice-clusters-probe", FLUX_NAMESPACE)
          .catch(() => undefined);
        assert.equal(probe, undefined);
      });
    } finally {
      await kubelet.stop();
      client.close();
    }
  });
});
