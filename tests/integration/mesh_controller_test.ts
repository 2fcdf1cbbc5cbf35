/**
 * The mesh controllers on a real apiserver with the real Cilium and Istio CRDs: a seeded
 * random mesh converges to policies the independent evaluator judges exactly right
 * (default deny included); removing one side's declaration, or a whole caller, revokes
 * the pair; one-sided services say what is missing; environments make their namespaces
 * and show in `kubectl get`.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { LATTICE_ENVIRONMENT_REF, LATTICE_SERVICE_REF } from "../../lib/api/mod.ts";
import {
  AUTHZ_REF,
  CCNP_REF,
  CNP_REF,
  DESTINATION_RULE_REF,
  meshControllers,
  NAMESPACE_REF,
  type ServiceObject,
  VIRTUAL_SERVICE_REF,
} from "../../lib/controllers/service/mod.ts";
import { DEPLOYMENT_REF, isNotFound, KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { until } from "../_until.ts";
import { judge } from "../controllers/service/_judge.ts";
import { oracle, randomMesh } from "../controllers/service/_mesh.ts";
import { withControlPlane } from "./_plane.ts";
import { ensureNamespaces, listAll, MESH_CRDS } from "./_mesh_plane.ts";

function agreedPairs(mesh: ReturnType<typeof randomMesh>): [number, number][] {
  const out: [number, number][] = [];
  mesh.services.forEach((c, i) =>
    mesh.services.forEach((s, j) => {
      const names = Object.keys(s.spec.service?.ports ?? {});
      if (names.some((n) => oracle(c, s, n, mesh.environments))) out.push([i, j]);
    })
  );
  return out;
}

async function policies(client: KubeClient): Promise<KubeObject[]> {
  return [
    ...await listAll(client, CNP_REF),
    ...await listAll(client, CCNP_REF),
    ...await listAll(client, AUTHZ_REF),
  ];
}

/** Waits until the pair policies are exactly the mesh's agreed pairs and all status is current. */
async function converged(client: KubeClient, mesh: ReturnType<typeof randomMesh>) {
  const want = agreedPairs(mesh).map(([c, s]) => {
    const [caller, callee] = [mesh.services[c], mesh.services[s]];
    return `${callee.metadata.namespace}/allow.${caller.metadata.namespace}.${caller.metadata.name}.to.${callee.metadata.name}`;
  }).sort();
  await until("the mesh to converge", async () => {
    const cnps = (await listAll(client, CNP_REF)).map((p) =>
      `${p.metadata?.namespace}/${p.metadata?.name}`
    ).sort();
    const aps = (await listAll(client, AUTHZ_REF)).filter((p) =>
      p.metadata?.name?.startsWith("allow.")
    )
      .map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort();
    const svcs = await client.list<ServiceObject>(LATTICE_SERVICE_REF);
    const current = svcs.items.length === mesh.services.length &&
      svcs.items.every((s) => s.status?.observedGeneration === s.metadata.generation);
    return current && JSON.stringify(cnps) === JSON.stringify(want) &&
        JSON.stringify(aps) === JSON.stringify(want)
      ? true
      : undefined;
  }, 180_000);
  return want.length;
}

Deno.test("mesh controller on a real apiserver: random mesh, revocation, status, environments", async (t) => {
  await withControlPlane(t, async (plane, api) => {
    using client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const mesh = randomMesh(42, 24);
    await ensureNamespaces(client, [
      "prod-a",
      "prod-b",
      "stage-a",
      "tools",
      "istio-system",
      "capi-edge",
    ]);
    for (
      const [name, namespaces] of [["prod", ["prod-a", "prod-b"]], ["staging", [
        "stage-a",
      ]]] as const
    ) {
      await client.apply({
        apiVersion: "lattice.dev/v1alpha1",
        kind: "LatticeEnvironment",
        metadata: { name },
        spec: { namespaces: [...namespaces] },
      });
    }
    const stop = new AbortController();
    const m = meshControllers(client, { selfName: "test", signal: stop.signal });
    const running = Promise.all(m.controllers.map((c) => c.run(stop.signal)));
    try {
      for (const doc of mesh.services) await client.apply(doc);

      await t.step("the random mesh converges and is judged exactly right", async () => {
        const pairs = await converged(client, mesh);
        ok(pairs >= 20, `only ${pairs} agreed pairs`);
        const result = judge(mesh, await policies(client), await listAll(client, DEPLOYMENT_REF));
        ok(result.pairs >= 400, `only ${result.pairs} ordered pairs`);
        deepStrictEqual(result.wrong, []);
      });

      await t.step("default deny exists, excluding system and capi-* namespaces", async () => {
        const ccnp = await client.get<KubeObject>(CCNP_REF, "lattice-default-deny");
        const spec = ccnp.spec as {
          endpointSelector: { matchExpressions: { values: string[] }[] };
        };
        const values = spec.endpointSelector.matchExpressions[0].values;
        for (
          const ns of [
            "kube-system",
            "cilium-system",
            "istio-system",
            "lattice-system",
            "cert-manager",
            "capi-edge",
          ]
        ) {
          ok(values.includes(ns), `${ns} not excluded`);
        }
        const deny = await client.get<KubeObject>(
          AUTHZ_REF,
          "lattice-default-deny",
          "istio-system",
        );
        deepStrictEqual(deny.spec ?? {}, {});
      });

      await t.step("a one-sided declaration is reported with the missing half", async () => {
        const [c, s] = findOneSided(mesh);
        const svc = await client.get<ServiceObject>(
          LATTICE_SERVICE_REF,
          c.metadata.name,
          c.metadata.namespace,
        );
        const cond = svc.status?.conditions?.find((x) => x.type === "DependenciesAgreed");
        equal(cond?.status, "False");
        match(cond?.message ?? "", new RegExp(`${s.metadata.namespace}/${s.metadata.name}`));
      });

      await t.step("removing one side's declaration revokes the pair", async () => {
        const [ci, si] = agreedPairs(mesh)[0];
        const [caller, callee] = [mesh.services[ci], mesh.services[si]];
        const resources = { ...caller.spec.resources };
        for (const [key, e] of Object.entries(resources)) {
          const ns = e.namespace ?? caller.metadata.namespace;
          if (ns === callee.metadata.namespace && (e.name ?? key) === callee.metadata.name) {
            delete resources[key];
          }
        }
        mesh.services[ci] = { ...caller, spec: { ...caller.spec, resources } };
        await client.replace({
          ...(await client.get<KubeObject>(
            LATTICE_SERVICE_REF,
            caller.metadata.name,
            caller.metadata.namespace,
          )),
          spec: mesh.services[ci].spec,
        });
        await converged(client, mesh);
        deepStrictEqual(
          judge(mesh, await policies(client), await listAll(client, DEPLOYMENT_REF)).wrong,
          [],
        );
      });

      await t.step("deleting a caller revokes its pairs", async () => {
        const [ci] = agreedPairs(mesh)[0];
        const caller = mesh.services[ci];
        const uid = (await client.get<KubeObject>(
          LATTICE_SERVICE_REF,
          caller.metadata.name,
          caller.metadata.namespace,
        )).metadata?.uid;
        await client.delete(LATTICE_SERVICE_REF, caller.metadata.name, caller.metadata.namespace);
        mesh.services.splice(ci, 1);
        // Its own inbound policies are owned by it: the garbage collector (not running in a
        // bare apiserver) removes them; do its part after checking the ownership.
        for (const ref of [CNP_REF, AUTHZ_REF]) {
          const owned = (await client.list<KubeObject>(ref, {
            namespace: caller.metadata.namespace,
            labelSelector: `lattice.dev/service=${caller.metadata.name}`,
          })).items;
          for (const p of owned) {
            equal(p.metadata?.ownerReferences?.[0]?.uid, uid);
            await client.delete(ref, p.metadata?.name ?? "", p.metadata?.namespace);
          }
        }
        await converged(client, mesh);
        deepStrictEqual(
          judge(mesh, await policies(client), await listAll(client, DEPLOYMENT_REF)).wrong,
          [],
        );
      });

      await t.step(
        "canary: a second Deployment and weighted routing; rolling prunes them",
        async () => {
          const doc = {
            apiVersion: "lattice.dev/v1alpha1",
            kind: "LatticeService",
            metadata: { name: "shop", namespace: "tools" },
            spec: {
              containers: { main: { image: "shop:1.0" } },
              service: { ports: { http: { port: 80, targetPort: 8080 } } },
              deploy: {
                strategy: "canary",
                canary: { weight: 20, containers: { main: { image: "shop:1.1" } } },
              },
            },
          };
          await client.apply(doc);
          const vs = await until(
            "the VirtualService",
            () =>
              client.get<KubeObject>(VIRTUAL_SERVICE_REF, "shop", "tools").catch(() => undefined),
          );
          deepStrictEqual(
            (vs.spec as { http: { route: { weight: number }[] }[] }).http[0].route.map((r) =>
              r.weight
            ),
            [80, 20],
          );
          const canary = await client.get<KubeObject>(DEPLOYMENT_REF, "shop-canary", "tools");
          const image = (canary.spec as { template: { spec: { containers: { image: string }[] } } })
            .template.spec.containers[0].image;
          equal(image, "shop:1.1");
          await client.get<KubeObject>(DESTINATION_RULE_REF, "shop", "tools");
          await until("status of the canary", async () => {
            const s = await client.get<ServiceObject>(LATTICE_SERVICE_REF, "shop", "tools");
            return s.status?.strategy === "canary" && s.status.replicas?.desired === 2
              ? s
              : undefined;
          });
          await client.apply({ ...doc, spec: { ...doc.spec, deploy: { strategy: "rolling" } } });
          await until("the canary objects to be pruned", async () => {
            const gone = await client.get<KubeObject>(DEPLOYMENT_REF, "shop-canary", "tools")
              .then(() => false, (e) => isNotFound(e));
            const vsGone = await client.get<KubeObject>(VIRTUAL_SERVICE_REF, "shop", "tools")
              .then(() => false, (e) => isNotFound(e));
            return gone && vsGone ? true : undefined;
          });
        },
      );

      await t.step("environments label their namespaces and show in kubectl get", async () => {
        const ns = await client.get<KubeObject>(NAMESPACE_REF, "prod-b");
        equal(ns.metadata?.labels?.["lattice.dev/environment"], "prod");
        await until("environment status", async () => {
          const env = await client.get<KubeObject>(LATTICE_ENVIRONMENT_REF, "prod");
          return (env.status as { active?: boolean } | undefined)?.active === true
            ? env
            : undefined;
        });
        const out = await api.kubectl(["get", "latticeenvironments"]);
        match(out.stdout, /NAME\s+NAMESPACES\s+SELECTOR\s+CLUSTERS\s+ACTIVE/);
        match(out.stdout, /prod\s+prod-a,prod-b\s+<all>\s+\S*\s*true/);
        const svcs = await api.kubectl(["get", "latticeservices", "-A"]);
        match(svcs.stdout, /READY\s+STRATEGY\s+AGREED\s+PENDING\s+PHASE/);
      });
    } finally {
      stop.abort();
      await running;
    }
  }, { crds: MESH_CRDS });
});

function findOneSided(mesh: ReturnType<typeof randomMesh>) {
  for (const c of mesh.services) {
    for (const s of mesh.services) {
      if (c === s) continue;
      const declares = Object.entries(c.spec.resources ?? {}).some(([k, e]) =>
        (e.namespace ?? c.metadata.namespace) === s.metadata.namespace &&
        (e.name ?? k) === s.metadata.name && e.direction === "outbound"
      );
      const ports = Object.keys(s.spec.service?.ports ?? {});
      const answered = Object.entries(s.spec.resources ?? {}).some(([k, e]) =>
        (e.namespace ?? s.metadata.namespace) === c.metadata.namespace &&
        (e.name ?? k) === c.metadata.name
      );
      if (declares && !answered && ports.length > 0) return [c, s] as const;
    }
  }
  throw new Error("the mesh has no one-sided declaration");
}
