/**
 * Placements become running services through the REAL Flux controllers: a registration
 * handed down from the root, a placement committed to the leaf's folder of the cluster
 * repository (applied by the leaf's own Flux), the placement controller producing the
 * service's GitRepository + Kustomization, kustomize-controller applying the service's
 * Deployment + Service + ConfigMap with the merged overrides. Then: change an override,
 * pin another tag, bad input of each kind (the previous revision keeps running), a cell's
 * registration shadowing the root's, and removal (the service goes, nothing else).
 */
import assert from "node:assert/strict";
import { LATTICE_SERVICE_PLACEMENT_REF } from "../../lib/api/refs.ts";
import { GIT_REPOSITORY_REF, KUSTOMIZATION_REF } from "../../lib/flux/names.ts";
import { CONFIGMAP_REF, DEPLOYMENT_REF, isNotFound, type KubeObject } from "../../lib/kube/mod.ts";
import type { LatticeServicePlacementStatus } from "../../lib/api/mod.ts";
import {
  handDown,
  type InheritedRegistration,
  resolveRegistration,
} from "../../lib/controllers/placement/mod.ts";
import { startPlacementEnv } from "./_placement_env.ts";
import { withControlPlane } from "./_plane.ts";
import { until } from "../_until.ts";

interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface Deployment extends KubeObject {
  spec: { replicas: number; template: { spec: { containers: Container[] } } };
}
interface Placement extends KubeObject {
  status?: LatticeServicePlacementStatus;
}

function registration(
  name: string,
  url: string,
  git: Record<string, string>,
  defaults?: Record<string, unknown>,
) {
  return {
    metadata: { name },
    spec: { source: { git: { url, ...git } }, ...(defaults ? { defaults } : {}) },
  };
}

Deno.test("placements through real Flux: overrides, tags, bad input, shadowing, removal", async (t) => {
  await withControlPlane(t, async (plane) => {
    const env = await startPlacementEnv(plane);
    const { client } = env;
    const placement = (name: string) => client.get<Placement>(LATTICE_SERVICE_PLACEMENT_REF, name);
    const deployment = (ns: string) => client.get<Deployment>(DEPLOYMENT_REF, "payments", ns);
    const config = async (ns: string) =>
      (await client.get<{ data: Record<string, string> }>(CONFIGMAP_REF, "payments-config", ns))
        .data.version;
    const ready = (name: string, check: (p: Placement) => boolean = () => true) =>
      until(`${name} Ready`, async () => {
        const p = await placement(name);
        const c = p.status?.conditions?.find((x) => x.type === "Ready");
        return c?.status === "True" && p.status?.observedGeneration === p.metadata?.generation &&
            check(p)
          ? p
          : undefined;
      }, 180_000);
    const failed = (name: string, reason: string, message = /./) =>
      until(`${name} Ready=False/${reason} ${message}`, async () => {
        const p = await placement(name);
        const c = p.status?.conditions?.find((x) => x.type === "Ready");
        return c?.status === "False" && c.reason === reason && message.test(c.message)
          ? c
          : undefined;
      }, 120_000);
    // The root's catalog, handed down through the cell `us` (which adds nothing) to the leaf.
    const rootReg = registration("payments", env.serviceUrl, { path: "./deploy", branch: "main" }, {
      replicas: 1,
      resources: { requests: { cpu: "100m", memory: "128Mi" } },
      env: { LOG_LEVEL: "debug" },
    });
    const rootSet = handDown("root", [rootReg], []);
    const usSet = handDown("us", [], rootSet);
    try {
      await env.inherit(usSet);

      await t.step(
        "register at the root, place on the leaf with overrides → exact values",
        async () => {
          await env.place("payments", {
            serviceRef: "payments",
            sourceOverride: { tag: "v1.0.0" },
            overrides: {
              replicas: 3,
              resources: { requests: { cpu: "500m" }, limits: { cpu: "2", memory: "1Gi" } },
              env: { DATABASE_URL: "postgres://db:5432/payments" },
            },
          });
          const p = await ready("payments");
          assert.deepEqual(p.status?.source, {
            registration: "payments",
            definedOn: "root",
            url: env.serviceUrl,
            path: "./deploy",
            tag: "v1.0.0",
          });
          assert.equal(p.status?.revision, `v1.0.0@sha1:${env.commits["v1.0.0"]}`);
          const d = await deployment("payments");
          assert.equal(d.spec.replicas, 3);
          const c = d.spec.template.spec.containers[0];
          assert.deepEqual(
            Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value])),
            {
              FROM_MANIFEST: "kept",
              LOG_LEVEL: "debug",
              DATABASE_URL: "postgres://db:5432/payments",
            },
          );
          assert.deepEqual(c.resources, {
            requests: { cpu: "500m", memory: "128Mi" },
            limits: { cpu: "2", memory: "1Gi" },
          });
          assert.equal(await config("payments"), "v1.0.0");
          await client.get(
            { ...CONFIGMAP_REF, plural: "services", kind: "Service" },
            "payments",
            "payments",
          );
        },
      );

      await t.step("change an override and commit → updated", async () => {
        await env.place("payments", {
          serviceRef: "payments",
          sourceOverride: { tag: "v1.0.0" },
          overrides: { replicas: 5, env: { DATABASE_URL: "postgres://db2:5432/payments" } },
        });
        await until("replicas 5 and the new env", async () => {
          const d = await deployment("payments");
          const envs = d.spec.template.spec.containers[0].env ?? [];
          return d.spec.replicas === 5 &&
              envs.some((e) =>
                e.name === "DATABASE_URL" && e.value === "postgres://db2:5432/payments"
              )
            ? d
            : undefined;
        }, 120_000);
        await ready("payments");
      });

      await t.step("pin another tag → that revision", async () => {
        await env.place("payments", {
          serviceRef: "payments",
          sourceOverride: { tag: "v2.0.0" },
          overrides: { replicas: 5 },
        });
        const p = await ready(
          "payments",
          (x) => x.status?.revision?.startsWith("v2.0.0@") ?? false,
        );
        assert.equal(p.status?.revision, `v2.0.0@sha1:${env.commits["v2.0.0"]}`);
        assert.equal(await config("payments"), "v2.0.0");
        assert.equal((await deployment("payments")).spec.replicas, 5);
      });

      // A second placement of the same service (its own namespace) must survive what follows.
      await env.place("payments-canary", { serviceRef: "payments", overrides: { replicas: 2 } });
      await ready("payments-canary");

      const stillV2 = async () => {
        assert.equal(await config("payments"), "v2.0.0");
        assert.equal((await deployment("payments")).spec.replicas, 5);
      };

      await t.step("an unknown service → RegistrationNotFound", async () => {
        await env.place("ghost", { serviceRef: "ghost" });
        const c = await failed("ghost", "RegistrationNotFound");
        assert.match(c.message, /no LatticeServiceRegistration "ghost".*searched: leaf, root/);
        await stillV2();
      });

      await t.step(
        "a registration with both branch and tag → RegistrationInvalid, v2 keeps running",
        async () => {
          const bad = registration("payments", env.serviceUrl, {
            path: "./deploy",
            branch: "main",
            tag: "v1.0.0",
          });
          await env.inherit(handDown("us", [], handDown("root", [bad], [])));
          const c = await failed("payments", "RegistrationInvalid");
          assert.match(
            c.message,
            /defined on root.*spec\.source\.git.*exactly one of branch or tag/,
          );
          await stillV2();
        },
      );

      await t.step("an invalid git URL → RegistrationInvalid", async () => {
        for (const url of ["ftp://host/repo.git", "https://", "git@host", "https://u:pw@h/r.git"]) {
          await env.inherit(usSet);
          await ready("payments");
          await env.inherit(
            handDown("root", [registration("payments", url, { branch: "main" })], []),
          );
          const c = await failed("payments", "RegistrationInvalid", /spec\.source\.git\.url/);
          assert.match(c.message, /defined on root/, url);
        }
        await stillV2();
      });

      await t.step(
        "overrides the workload lacks → OverridesNotApplicable, v2 keeps running",
        async () => {
          await env.inherit(handDown("root", [
            registration("payments", env.serviceUrl, { path: "./daemon", branch: "main" }),
          ], []));
          const c = await failed("payments", "OverridesNotApplicable");
          assert.match(
            c.message,
            /replicas: the service has no Deployment or StatefulSet.*DaemonSet\/payments-agent/,
          );
          await stillV2();
          await assert.rejects(
            () =>
              client.get(
                { ...DEPLOYMENT_REF, plural: "daemonsets", kind: "DaemonSet" },
                "payments-agent",
                "payments",
              ),
            (e) => isNotFound(e),
          );
        },
      );

      await t.step("a cell's registration shadows the root's for its subtree only", async () => {
        const cellReg = registration("payments", env.serviceUrl, {
          path: "./deploy-alt",
          branch: "main",
        });
        const us = handDown("us", [cellReg], rootSet);
        const eu = handDown("eu", [], rootSet);
        const leafOf = (set: InheritedRegistration[]) =>
          resolveRegistration("payments", "x", [], set);
        const euRes = leafOf(eu);
        assert.ok(euRes.found && euRes.registration.definedOn === "root");
        await env.inherit(us);
        const p = await ready("payments", (x) => x.status?.source?.definedOn === "us");
        assert.equal(p.status?.source?.path, "./deploy-alt");
        await until(
          "the cell's release",
          async () => await config("payments") === "alt" || undefined,
        );
        // Back to the root's registration for the rest.
        await env.inherit(usSet);
        await ready("payments", (x) => x.status?.source?.definedOn === "root");
        await until("v2 again", async () => await config("payments") === "v2.0.0" || undefined);
      });

      await t.step("remove the placement → the service is gone, nothing else", async () => {
        await env.place("payments", undefined);
        await until("placement gone", async () => {
          try {
            await placement("payments");
            return undefined;
          } catch (e) {
            return isNotFound(e) ? true : undefined;
          }
        }, 120_000);
        for (
          const [ref, name] of [
            [DEPLOYMENT_REF, "payments"],
            [CONFIGMAP_REF, "payments-config"],
            [KUSTOMIZATION_REF, "payments"],
            [GIT_REPOSITORY_REF, "payments"],
            [GIT_REPOSITORY_REF, "payments-applied"],
          ] as const
        ) {
          await until(`${ref.kind} ${name} gone`, async () => {
            try {
              await client.get(ref, name, "payments");
              return undefined;
            } catch (e) {
              return isNotFound(e) ? true : undefined;
            }
          }, 60_000);
        }
        assert.equal((await deployment("payments-canary")).spec.replicas, 2);
        assert.equal(await config("payments-canary"), "v2.0.0");
        await ready("payments-canary");
        await placement("ghost");
      });
    } finally {
      await env.stop();
    }
  }, { crds: { lattice: true } });
});
