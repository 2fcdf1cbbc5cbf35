/**
 * `deno task bench mesh`: 1,000 LatticeServices, each calling 10 others that allow it
 * (10,000 agreed pairs → 20,000 policy objects), created at once on one cluster → time
 * until every pair's CiliumNetworkPolicy and AuthorizationPolicy is applied and every
 * service reports its 20 agreed dependencies; policy objects per service; requests per
 * service; controller memory. Real kube-apiserver + etcd with the real Cilium and Istio CRDs
 * (no kubelet: Deployments never become ready, which the figures do not depend on).
 */
import { LATTICE_SERVICE_REF, type LatticeServiceInput } from "../lib/api/mod.ts";
import {
  AUTHZ_REF,
  CNP_REF,
  meshControllers,
  type ServiceObject,
} from "../lib/controllers/service/mod.ts";
import { KubeClient, type KubeRequest, type ResourceRef } from "../lib/kube/mod.ts";
import { startControlPlane } from "../lib/sandbox/mod.ts";
import { rssMiB, runBench } from "./_harness.ts";

const SERVICES = Number(Deno.env.get("BENCH_SERVICES") ?? 1000);
const DEPS = Number(Deno.env.get("BENCH_DEPS") ?? 10);
const WORKERS = Number(Deno.env.get("BENCH_WORKERS") ?? 16);
const NAMESPACES = 10;
/** The bench gives up after this many seconds (a loaded shared machine needs more). */
const TIMEOUT_S = Number(Deno.env.get("BENCH_TIMEOUT_S") ?? 900);
/** When set, the apiserver's CPU is profiled for this many seconds from the first create. */
const PROFILE_S = Number(Deno.env.get("BENCH_PROFILE_S") ?? 0);
const PROFILE_OUT = Deno.env.get("BENCH_PROFILE_OUT") ?? "/tmp/mesh-apiserver.pprof";

const nameOf = (i: number) => `s-${String((i + SERVICES) % SERVICES).padStart(4, "0")}`;
const nsOf = (i: number) => `team-${((i + SERVICES) % SERVICES) % NAMESPACES}`;

/** Service i calls i+1..i+DEPS and allows i-1..i-DEPS (peers in other namespaces too). */
function doc(i: number): LatticeServiceInput & { metadata: { namespace: string } } {
  const resources: Record<
    string,
    { type: string; direction: string; name: string; namespace: string }
  > = {};
  for (let k = 1; k <= DEPS; k++) {
    resources[`out-${k}`] = {
      type: "service",
      direction: "outbound",
      name: nameOf(i + k),
      namespace: nsOf(i + k),
    };
    resources[`in-${k}`] = {
      type: "service",
      direction: "inbound",
      name: nameOf(i - k),
      namespace: nsOf(i - k),
    };
  }
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeService",
    metadata: { name: nameOf(i), namespace: nsOf(i) },
    spec: {
      containers: { main: { image: "registry.example.com/app:1.0" } },
      service: { ports: { http: { port: 80, targetPort: 8080 } } },
      resources,
    } as LatticeServiceInput["spec"],
  };
}

/**
 * CPU seconds (user + system) a process and its descendants (a plane's processes run
 * under a small shell guard) have used so far; 0 when gone.
 */
async function cpuSeconds(pid: number | "self"): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    let total = (Number(fields[11]) + Number(fields[12])) / 100;
    if (pid !== "self") {
      const children = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`);
      for (const child of children.split(" ").filter(Boolean)) {
        total += await cpuSeconds(Number(child));
      }
    }
    return total;
  } catch {
    return 0;
  }
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Number of objects of `ref` (one page of 1 and the server's remaining count). */
async function count(client: KubeClient, ref: ResourceRef): Promise<number> {
  const page = await client.list(ref, { limit: 1 });
  return page.items.length + (page.metadata.remainingItemCount ?? 0);
}

/** The 1-minute load average (the machine is shared: figures depend on it). */
async function loadAverage(): Promise<number> {
  return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
}

/** A request's kind for the per-kind counts: method and resource (`post_ciliumnetworkpolicies`). */
function requestKind(req: KubeRequest): string {
  const parts = req.path.split("?")[0].split("/").filter(Boolean);
  const ns = parts.indexOf("namespaces");
  const resource = ns >= 0 && parts.length > ns + 2 ? parts[ns + 2] : parts[parts.length - 1];
  const sub = parts[parts.length - 1] === "status" ? "_status" : "";
  const watch = req.query?.watch ? "watch" : "";
  return `${watch || req.method.toLowerCase()}_${resource}${sub}`;
}

/** Writes the apiserver's pprof CPU profile over the next `seconds` to `out`. */
async function profile(client: KubeClient, seconds: number, out: string): Promise<void> {
  const response = await client.fetchRaw({
    method: "GET",
    path: "/debug/pprof/profile",
    query: { seconds: String(seconds) },
  });
  await Deno.writeFile(out, new Uint8Array(await response.arrayBuffer()));
  console.error(`apiserver CPU profile (${seconds} s) written to ${out}`);
}

if (import.meta.main) {
  await runBench("mesh", async () => {
    const plane = await startControlPlane({
      name: "bench-mesh",
      crds: { lattice: true, upstream: ["cilium-v1.19.4", "istio-1.30.3"] },
      apiServerArgs: PROFILE_S > 0 ? ["--profiling=true"] : [],
    });
    try {
      const driver = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
      const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
      let requests = 0;
      const byKind = new Map<string, number>();
      const fetchRaw = client.fetchRaw.bind(client);
      client.fetchRaw = (req: KubeRequest) => {
        requests++;
        const kind = requestKind(req);
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
        return fetchRaw(req);
      };
      // 1,000 ClusterIP Services do not fit the sandbox's /24: a second ServiceCIDR.
      await driver.apply({
        apiVersion: "networking.k8s.io/v1",
        kind: "ServiceCIDR",
        metadata: { name: "bench" },
        spec: { cidrs: ["10.96.0.0/16"] },
      });
      for (let n = 0; n < NAMESPACES; n++) {
        await driver.apply({
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: `team-${n}` },
        });
      }
      await driver.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "istio-system" },
      });
      const stop = new AbortController();
      const mesh = meshControllers(client, {
        selfName: "bench",
        signal: stop.signal,
        workers: WORKERS,
      });
      const running = Promise.all(mesh.controllers.map((c) => c.run(stop.signal)));
      await Promise.all(mesh.controllers.map((c) => c.ready));
      const rssBefore = rssMiB();
      const [apiPid, etcdPid] = [plane.pids()[1], plane.pids()[0]];
      const cpu0 = await Promise.all([cpuSeconds("self"), cpuSeconds(apiPid), cpuSeconds(etcdPid)]);
      const baseline = requests;
      byKind.clear();
      const load0 = await loadAverage();
      const expected = SERVICES * DEPS;

      const t0 = performance.now();
      const profiled = PROFILE_S > 0 ? profile(driver, PROFILE_S, PROFILE_OUT) : undefined;
      await pool(Array.from({ length: SERVICES }, (_, i) => i), 32, async (i) => {
        await driver.create(doc(i));
      });
      const createdS = (performance.now() - t0) / 1000;
      let policiesAt = 0, cnps = 0, aps = 0, peakRss = rssMiB(), lastLog = 0;
      while (performance.now() - t0 < TIMEOUT_S * 1000) {
        cnps = await count(driver, CNP_REF);
        aps = await count(driver, AUTHZ_REF);
        peakRss = Math.max(peakRss, rssMiB());
        const elapsed = (performance.now() - t0) / 1000;
        if (elapsed - lastLog >= 15) {
          lastLog = elapsed;
          console.error(
            `${elapsed.toFixed(0)} s: ${cnps} CiliumNetworkPolicies, ${aps} AuthorizationPolicies`,
          );
        }
        if (cnps >= expected && aps >= expected) {
          policiesAt ||= performance.now();
          const list = await driver.list<ServiceObject>(LATTICE_SERVICE_REF);
          const done = list.items.filter((s) =>
            s.status?.agreedCount === 2 * DEPS &&
            s.status.observedGeneration === s.metadata.generation
          ).length;
          if (done >= SERVICES) {
            break;
          }
        }
        // Polled every 0.5 s: a list of one item (with the server's remaining count) is cheap
        // next to the writes measured.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const allS = (performance.now() - t0) / 1000;
      const policiesS = policiesAt ? (policiesAt - t0) / 1000 : Number.NaN;
      const used = requests - baseline;
      const load1 = await loadAverage();
      const cpu1 = await Promise.all([cpuSeconds("self"), cpuSeconds(apiPid), cpuSeconds(etcdPid)]);
      await profiled;
      stop.abort();
      await running;
      driver.close();
      client.close();
      return {
        services: SERVICES,
        agreed_pairs: expected,
        create_all_s: createdS,
        all_policies_applied_s: policiesS,
        all_status_agreed_s: allS,
        cilium_policies: cnps,
        istio_policies: aps,
        policy_objects_per_service: (cnps + aps) / SERVICES,
        api_requests_per_service: used / SERVICES,
        ...Object.fromEntries(
          [...byKind].sort().map(([k, n]) => [`requests_per_service_${k}`, n / SERVICES]),
        ),
        controller_process_rss_mib_before: rssBefore,
        controller_process_rss_mib_peak: peakRss,
        controller_process_cpu_s: cpu1[0] - cpu0[0],
        apiserver_cpu_s: cpu1[1] - cpu0[1],
        etcd_cpu_s: cpu1[2] - cpu0[2],
        cpu_s_per_service: (cpu1[0] - cpu0[0] + cpu1[1] - cpu0[1] + cpu1[2] - cpu0[2]) / SERVICES,
        apiserver_cpu_ms_per_policy: ((cpu1[1] - cpu0[1]) * 1000) / (cnps + aps),
        load_average_1m_start: load0,
        load_average_1m_end: load1,
      };
    } finally {
      await plane.stop();
    }
  });
}
