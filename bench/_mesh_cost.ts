/**
 * Apiserver CPU per request kind for the mesh's writes (the profile in docs/mesh.md):
 * N requests of one kind, sent with a fixed concurrency, and the kube-apiserver's CPU
 * seconds (from /proc) divided by N. Run: `deno run -A bench/_mesh_cost.ts`.
 */
import { LATTICE_SERVICE_REF } from "../lib/api/mod.ts";
import {
  AUTHZ_REF,
  CNP_REF,
  MESH_FIELD_MANAGER,
  pairPolicies,
} from "../lib/controllers/service/mod.ts";
import { KubeClient, type KubeObject, resourcePath, type ResourceRef } from "../lib/kube/mod.ts";
import { startControlPlane } from "../lib/sandbox/mod.ts";

const N = Number(Deno.env.get("COST_N") ?? 1000);
const CONCURRENCY = Number(Deno.env.get("COST_CONCURRENCY") ?? 16);
const ROUNDS = Number(Deno.env.get("COST_ROUNDS") ?? 1);
/** A label: the apiserver's CPU profile while that kind is measured goes to /tmp/LABEL.pprof. */
const PROFILE = Deno.env.get("COST_PROFILE");

async function cpu(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

const plane = await startControlPlane({
  name: "mesh-cost",
  crds: { lattice: true, upstream: ["cilium-v1.19.4", "istio-1.30.3"] },
  apiServerArgs: PROFILE ? ["--profiling=true"] : [],
});
const results: Record<string, number> = {};
try {
  const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
  const [etcdPid, apiPid] = plane.pids();
  await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "cost" } });
  const owner = {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeService",
    name: "owner",
    uid: "00000000-0000-0000-0000-000000000001",
    controller: true,
  };
  const pair = (i: number) => ({
    caller: `caller-${i}`,
    callerNamespace: "cost",
    callee: `callee-${i % 50}`,
    calleeNamespace: "cost",
    ports: [{ name: "http", port: 8080, protocol: "TCP" as const }],
  });
  const measure = async (label: string, fn: (i: number) => Promise<unknown>, round = 0) => {
    const idx = Array.from({ length: N }, (_, i) => i + round * N);
    const [a0, e0, t0] = [await cpu(apiPid), await cpu(etcdPid), performance.now()];
    const profiled = label === PROFILE
      ? client.fetchRaw({ method: "GET", path: "/debug/pprof/profile", query: { seconds: "8" } })
        .then(async (r) =>
          Deno.writeFile(`/tmp/${label}.pprof`, new Uint8Array(await r.arrayBuffer()))
        )
      : undefined;
    await pool(idx, CONCURRENCY, async (i) => {
      await fn(i);
    });
    await profiled;
    const [a1, e1, t1] = [await cpu(apiPid), await cpu(etcdPid), performance.now()];
    const add = (k: string, v: number) => results[k] = (results[k] ?? 0) + v / ROUNDS;
    add(`${label}_apiserver_ms`, ((a1 - a0) * 1000) / N);
    add(`${label}_etcd_ms`, ((e1 - e0) * 1000) / N);
    add(`${label}_wall_per_s`, N / ((t1 - t0) / 1000));
    console.error(label, results[`${label}_apiserver_ms`].toFixed(2), "ms apiserver CPU each");
  };
  const post = (ref: ResourceRef, obj: KubeObject, query: Record<string, string> = {}) =>
    client.request({
      method: "POST",
      path: resourcePath(ref, { namespace: obj.metadata?.namespace }),
      query,
      body: obj,
    });
  const rename = (o: KubeObject, prefix: string) => ({
    ...o,
    metadata: { ...o.metadata, name: `${prefix}.${o.metadata?.name}` },
  });
  const only = (Deno.env.get("COST_ONLY") ?? "").split(",").filter(Boolean);
  // Kinds run ROUNDS times, interleaved, so a load change on the shared machine hits all.
  const queued: [string, (i: number) => Promise<unknown>][] = [];
  const run = (label: string, fn: (i: number) => Promise<unknown>) => {
    if (only.length === 0 || only.includes(label)) queued.push([label, fn]);
    return Promise.resolve();
  };
  const cnp = (i: number, prefix: string) => rename(pairPolicies(pair(i), owner)[0], prefix);
  const ap = (i: number, prefix: string) => rename(pairPolicies(pair(i), owner)[1], prefix);
  const lean = (o: KubeObject): KubeObject => {
    const { description: _, ...spec } = (o as { spec: Record<string, unknown> }).spec;
    return {
      ...o,
      metadata: {
        name: o.metadata?.name,
        namespace: o.metadata?.namespace,
        labels: {
          "app.kubernetes.io/managed-by": "lattice-mesh",
          "lattice.dev/service": o.metadata?.labels?.["lattice.dev/service"] ?? "",
        },
        ownerReferences: o.metadata?.ownerReferences,
      },
      spec,
    } as KubeObject;
  };
  const fm = { fieldManager: MESH_FIELD_MANAGER };
  const ignore = { ...fm, fieldValidation: "Ignore" };
  await run("cnp_create", (i) => post(CNP_REF, cnp(i, "c"), fm));
  await run("cnp_create_ignore", (i) => post(CNP_REF, cnp(i, "i"), ignore));
  await run("cnp_create_lean", (i) => post(CNP_REF, lean(cnp(i, "l")), fm));
  await run("cnp_create_lean_ignore", (i) => post(CNP_REF, lean(cnp(i, "k")), ignore));
  await run("cnp_create_nofm", (i) => post(CNP_REF, cnp(i, "n")));
  await run("ap_create", (i) => post(AUTHZ_REF, ap(i, "c"), fm));
  await run("ap_create_ignore", (i) => post(AUTHZ_REF, ap(i, "i"), ignore));
  await run(
    "cnp_ssa_new",
    (i) => client.apply(cnp(i, "s"), { fieldManager: MESH_FIELD_MANAGER, force: true }),
  );
  await run(
    "cnp_ssa_unchanged",
    (i) => client.apply(cnp(i, "s"), { fieldManager: MESH_FIELD_MANAGER, force: true }),
  );
  const cm = (i: number) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `cm-${i}`, namespace: "cost", labels: { a: "b" } },
    data: { k: "v" },
  });
  const cmRef = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap" };
  await run("configmap_create", (i) => post({ ...cmRef, namespaced: true }, cm(i)));
  await run("cnp_list_by_label_ns", (i) =>
    client.list(CNP_REF, {
      namespace: "cost",
      labelSelector: `app.kubernetes.io/managed-by=lattice-mesh,lattice.dev/service=callee-${
        i % 50
      }`,
    }));
  await run("cnp_count_limit1", () => client.list(CNP_REF, { limit: 1 }));
  const svc = (i: number) => ({
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeService",
    metadata: { name: `svc-${i}`, namespace: "cost" },
    spec: {
      containers: { main: { image: "registry.example.com/app:1.0" } },
      service: { ports: { http: { port: 80, targetPort: 8080 } } },
      resources: Object.fromEntries(
        Array.from({ length: 20 }, (_, k) => [`p-${k}`, {
          type: "service",
          direction: k % 2 ? "inbound" : "outbound",
          name: `svc-${(i + k + 1) % N}`,
        }]),
      ),
    },
  });
  await run("latticeservice_create", (i) => post(LATTICE_SERVICE_REF, svc(i)));
  await run(
    "latticeservice_status_patch",
    (i) =>
      client.patchStatus(LATTICE_SERVICE_REF, `svc-${i}`, "cost", {
        status: {
          observedGeneration: 1,
          agreedCount: 20,
          agreed: Array.from({ length: 20 }, (_, k) => ({
            service: `cost/svc-${k}`,
            direction: "inbound",
            ports: [8080],
          })),
        },
      }),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, fn] of queued) await measure(label, fn, round);
  }
  client.close();
} finally {
  await plane.stop();
}
console.log(JSON.stringify(results, null, 2));
