/**
 * The GitOps loop end to end, with the REAL Flux controllers (source-controller and
 * kustomize-controller built from their Go modules) behind every sandbox cluster's
 * flux-system Deployments, syncing the sandbox's repository over HTTP from `git
 * http-backend`. Only Cluster API's controllers, the machines and the kubelet are simulated.
 *
 * One fleet for all steps (a plane with its controllers is expensive): `mgmt` is the
 * repository root, provisioned by the bootstrap cell, which hands it its Flux.
 * - `lattice cluster create eu-prod-2 --parent mgmt` + commit → mgmt's Flux applies it, mgmt
 *   provisions and pivots it, sends it its Flux; it reports Ready with status.flux healthy;
 * - `lattice flux set-version` + commit → mgmt upgrades first, then eu-prod-2;
 * - `lattice flux suspend` + commit → eu-prod-2 stops syncing (a later commit to its folder
 *   is not applied) while mgmt keeps syncing; resume → it is applied;
 * - an unknown version, an unreachable repository URL, wrong credentials → FluxReady=False
 *   with the reason, the running Flux untouched and still syncing.
 */
import assert from "node:assert/strict";
import { CONFIGMAP_REF, DEPLOYMENT_REF } from "../../lib/kube/mod.ts";
import { GIT_REPOSITORY_REF, KUSTOMIZATION_REF } from "../../lib/flux/mod.ts";
import { until } from "../_until.ts";
import {
  deleteAndWait,
  fluxReady,
  readyWithFlux,
  scaleAndWait,
  startGitopsFleet,
} from "./_gitops.ts";
import { capiNamespace, MACHINE_DEPLOYMENT, machineDeploymentName } from "../../lib/capi/mod.ts";

const AUTH = { username: "lattice", password: "sandbox-secret" };

interface FluxObj {
  spec: { url?: string; path?: string; suspend?: boolean };
  status?: { lastAppliedRevision?: string; conditions?: { type: string; status: string }[] };
}

async function addMarker(repo: string, folder: string, name: string): Promise<void> {
  await Deno.writeTextFile(
    `${repo}/${folder}/${name}.yaml`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\n` +
      `data:\n  written: "${new Date().toISOString()}"\n`,
  );
  const k = `${repo}/${folder}/kustomization.yaml`;
  const text = await Deno.readTextFile(k);
  await Deno.writeTextFile(
    k,
    text.replace(/resources:\s*\[\]\n?/, "resources:\n").trimEnd() + `\n  - ${name}.yaml\n`,
  );
}

Deno.test("gitops: every cluster syncs its folder with real Flux", async (t) => {
  const fleet = await startGitopsFleet({ fluxVersion: "2.7.3", auth: AUTH });
  try {
    await t.step("the repository root gets its Flux from the bootstrap cell", async () => {
      const mgmt = await fleet.waitCluster(
        "mgmt",
        "bootstrap",
        "Ready with Flux 2.7.3",
        (c) => readyWithFlux(c, "2.7.3"),
      );
      assert.deepEqual(mgmt.status?.flux?.controllers, {
        "kustomize-controller": "Running",
        "source-controller": "Running",
      });
      const kust = await fleet.client("mgmt").get<FluxObj>(
        KUSTOMIZATION_REF,
        "cluster-config",
        "flux-system",
      );
      assert.equal(kust.spec.path, "./");
      // mgmt's own copy says the same (written by its agent).
      await fleet.waitCluster("mgmt", "mgmt", "own status.flux", (c) => readyWithFlux(c, "2.7.3"));
    });

    await t.step("cluster create + commit → created by mgmt, pivoted, own Flux", async () => {
      await fleet.cli(
        "cluster",
        "create",
        "eu-prod-2",
        "--parent",
        "mgmt",
        "--workers",
        "1",
        "--control-plane-nodes",
        "1",
      );
      const head = await fleet.commit("Add eu-prod-2");
      const eu = await fleet.waitCluster(
        "eu-prod-2",
        "mgmt",
        "Ready with healthy Flux",
        (c) => readyWithFlux(c, "2.7.3"),
        600_000,
      );
      assert.ok(eu.status?.conditions?.some((c) => c.type === "Pivoted" && c.status === "True"));
      const kust = await until("eu-prod-2 applied its folder", async () => {
        const k = await fleet.client("eu-prod-2").get<FluxObj>(
          KUSTOMIZATION_REF,
          "cluster-config",
          "flux-system",
        );
        return k.status?.lastAppliedRevision?.endsWith(head) ? k : undefined;
      });
      assert.equal(kust.spec.path, "./children/eu-prod-2");
    });

    await t.step("flux set-version + commit → every cluster upgrades, root first", async () => {
      await fleet.cli("flux", "set-version", "2.9.3");
      await fleet.commit("Upgrade Flux to 2.9.3");
      const at: Record<string, number> = {};
      await until("both clusters on Flux 2.9.3", async () => {
        for (const [name, on] of [["mgmt", "bootstrap"], ["eu-prod-2", "mgmt"]]) {
          const c = await fleet.cluster(name, on);
          if (at[name] === undefined && c && readyWithFlux(c, "2.9.3")) at[name] = Date.now();
        }
        return at.mgmt && at["eu-prod-2"] ? true : undefined;
      }, 600_000);
      assert.ok(at.mgmt <= at["eu-prod-2"], "mgmt (the root) upgraded before its child");
      for (const name of ["mgmt", "eu-prod-2"]) {
        const list = await fleet.client(name).list<
          { spec: { template: { spec: { containers: { image: string }[] } } } }
        >(DEPLOYMENT_REF, { namespace: "flux-system" });
        assert.deepEqual(
          list.items.map((d) => d.spec.template.spec.containers[0].image).sort(),
          ["ghcr.io/fluxcd/kustomize-controller:v1.9.4", "ghcr.io/fluxcd/source-controller:v1.9.3"],
        );
      }
    });

    await t.step("flux suspend + commit → that cluster stops syncing", async () => {
      await fleet.cli("flux", "suspend", "eu-prod-2");
      await fleet.commit("Suspend eu-prod-2");
      await fleet.waitCluster(
        "eu-prod-2",
        "mgmt",
        "suspended",
        (c) => c.status?.flux?.suspended === true && fluxReady(c)?.reason === "Suspended",
      );
      await addMarker(fleet.repo, "children/eu-prod-2/placements", "marker-eu");
      await addMarker(fleet.repo, "registrations", "marker-root");
      const head = await fleet.commit("Markers");
      // mgmt applies the commit (it is not suspended) ...
      await until("mgmt applied the markers commit", async () => {
        const k = await fleet.client("mgmt").get<FluxObj>(
          KUSTOMIZATION_REF,
          "cluster-config",
          "flux-system",
        );
        return k.status?.lastAppliedRevision?.endsWith(head) ? true : undefined;
      });
      await fleet.client("mgmt").get(CONFIGMAP_REF, "marker-root", "default");
      // ... eu-prod-2 does not, through several of its 5 s intervals.
      await new Promise((r) => setTimeout(r, 20_000));
      const eu = await fleet.client("eu-prod-2").get(CONFIGMAP_REF, "marker-eu", "default")
        .catch(() => undefined);
      assert.equal(eu, undefined, "a suspended cluster applied a commit");
      await fleet.cli("flux", "resume", "eu-prod-2");
      await fleet.commit("Resume eu-prod-2");
      await until(
        "eu-prod-2 applies again",
        () => fleet.client("eu-prod-2").get(CONFIGMAP_REF, "marker-eu", "default"),
      );
      await fleet.waitCluster("eu-prod-2", "mgmt", "resumed", (c) => readyWithFlux(c, "2.9.3"));
    });

    await t.step("an unknown Flux version → UnsupportedVersion, Flux kept", async () => {
      await fleet.cli("flux", "set-version", "2.99.0", "--cluster", "eu-prod-2");
      await fleet.commit("Pin eu-prod-2 to an unknown Flux");
      const eu = await fleet.waitCluster(
        "eu-prod-2",
        "mgmt",
        "UnsupportedVersion",
        (c) => fluxReady(c)?.reason === "UnsupportedVersion",
      );
      assert.match(fluxReady(eu)!.message!, /2\.99\.0.*not supported.*2\.9\.3 keeps running/);
      assert.equal(eu.status?.flux?.version, "2.9.3");
      assert.equal(eu.status?.flux?.healthy, true);
      await fleet.cli("flux", "set-version", "2.9.3", "--cluster", "eu-prod-2");
      await fleet.commit("Pin eu-prod-2 to 2.9.3");
      await fleet.waitCluster("eu-prod-2", "mgmt", "FluxReady again", (c) => readyWithFlux(c));
    });

    for (
      const [what, change] of [
        ["an unreachable repository URL", { repoUrl: "http://127.0.0.1:9/nowhere" }],
        ["wrong credentials", { credentials: `${AUTH.username}:wrong` }],
      ] as const
    ) {
      await t.step(`${what} → SourceUnavailable, the previous source keeps syncing`, async () => {
        const runtime = fleet.sandbox.gitops!;
        runtime.setFluxSource(change);
        const mgmt = await fleet.waitCluster(
          "mgmt",
          "bootstrap",
          "SourceUnavailable",
          (c) => fluxReady(c)?.reason === "SourceUnavailable",
        );
        assert.match(fluxReady(mgmt)!.message!, /still syncing the previous source/);
        const repo = await fleet.client("mgmt").get<FluxObj>(
          GIT_REPOSITORY_REF,
          "lattice-clusters",
          "flux-system",
        );
        assert.equal(repo.spec.url, runtime.repoUrl);
        assert.equal(repo.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
        const probe = await fleet.client("mgmt").get(
          GIT_REPOSITORY_REF,
          "lattice-clusters-probe",
          "flux-system",
        ).catch(() => undefined);
        assert.equal(probe, undefined, "the probe was left behind");
        runtime.setFluxSource({
          repoUrl: runtime.repoUrl,
          credentials: `${AUTH.username}:${AUTH.password}`,
        });
        await fleet.waitCluster("mgmt", "bootstrap", "FluxReady again", (c) => readyWithFlux(c));
      });
    }

    await t.step("cluster scale + commit → the new cluster's workers change", async () => {
      await scaleAndWait(fleet, "eu-prod-2", 2);
      const client = fleet.client("eu-prod-2");
      const ref = await client.resourceFor(MACHINE_DEPLOYMENT.apiVersion, MACHINE_DEPLOYMENT.kind);
      await until("the MachineDeployment asks for 2 workers", async () => {
        const md = await client.get<{ spec?: { replicas?: number } }>(
          ref,
          machineDeploymentName("eu-prod-2"),
          capiNamespace("eu-prod-2"),
        );
        return md.spec?.replicas === 2 ? true : undefined;
      }, 120_000);
    });

    await t.step("cluster delete + commit → the cluster is gone from mgmt", async () => {
      await deleteAndWait(fleet, "eu-prod-2", "mgmt");
    });
  } finally {
    await fleet.down();
  }
});
