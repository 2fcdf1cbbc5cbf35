/**
 * `deno task bench gitops_sync`: git still drives pivoted children.
 *
 * Spec down: one cell (its real cluster controller, agent registry and mTLS gRPC server) on a
 * real control plane holds the copies of 50 pivoted children; each child is a real agent
 * (its own certificate, its own gRPC stream) whose own LatticeCluster and CAPI objects live
 * on one of two real child planes, each with its own real self-mode controller. A change is
 * a merge patch of `spec.nodes.workers` on the parent's copy; the clock stops when the
 * child's MachineDeployment carries the new replica count (CAPI's own work excluded: no
 * simulator runs). 100 changes, spread over the 50 children, two at a time.
 *
 * What is not real: the 50 children share two apiservers and this process (one event loop
 * for the cell, 50 agents and 50 self-mode controllers), so figures are pessimistic.
 *
 * Unpivot: a 27-object cluster moved from a child plane back to the parent over the real
 * stream (UnpivotCommand, transfers, acks), timed from the first command to Done, polling
 * every 50 ms instead of the controller's 5 s requeue.
 */
import { API_VERSION, type LatticeClusterInput } from "../lib/api/mod.ts";
import { AgentClient } from "../lib/agent/mod.ts";
import { AgentRegistry } from "../lib/cell/registry.ts";
import { startAgentServer } from "../lib/cell/grpc_server.ts";
import { generateCapiObjects, machineDeploymentName } from "../lib/capi/mod.ts";
import { ChildReporter, specSyncHandlers } from "../lib/childsync/agent.ts";
import { ChildStatusWriter } from "../lib/childsync/cell.ts";
import { createChildLink } from "../lib/childsync/link.ts";
import { clusterController, type ClusterObject } from "../lib/controllers/cluster/mod.ts";
import { KubeClient, type KubeObject } from "../lib/kube/mod.ts";
import { LATTICE_CLUSTER_REF } from "../lib/api/refs.ts";
import {
  createCa,
  createCsr,
  generateKeyPair,
  issueServerCert,
  signClientCsr,
} from "../lib/pki/mod.ts";
import { PivotTarget, unpivotHandlers, UnpivotReceiver } from "../lib/pivot/mod.ts";
import { type ControlPlane, startControlPlane } from "../lib/sandbox/control_plane.ts";
import { CLUSTER_API_CRD_SETS } from "../lib/sandbox/crds.ts";
import { labelProviderCrds } from "../tests/pivot/live.ts";
import { createFixture } from "../tests/pivot/live.ts";
import { clusterFixture } from "../tests/pivot/fixtures.ts";
import { createLogger } from "../lib/log/mod.ts";
import { type BenchResults, percentile, runBench } from "./_harness.ts";

const CHILDREN = Number(Deno.env.get("LATTICE_BENCH_CHILDREN") ?? 50);
const CHANGES = Number(Deno.env.get("LATTICE_BENCH_CHANGES") ?? 100);
/** Heartbeat interval of the 50 agents (the sandbox's default; production: 30 s). */
const BEAT_MS = Number(Deno.env.get("LATTICE_BENCH_HEARTBEAT_MS") ?? 5_000);
const CELL = "cell";
const log = createLogger({ level: Deno.env.get("LATTICE_LOG") === "debug" ? "debug" : "error" });
const MD_REF = {
  group: "cluster.x-k8s.io",
  version: "v1beta2",
  plural: "machinedeployments",
  kind: "MachineDeployment",
  namespaced: true,
};

function doc(name: string): LatticeClusterInput {
  return {
    apiVersion: API_VERSION,
    kind: "LatticeCluster",
    metadata: { name },
    spec: {
      provider: { kubernetes: { version: "1.31.0", bootstrap: "kubeadm" }, config: { docker: {} } },
      nodes: { controlPlane: 1, workers: 1 },
      cellRef: CELL,
    },
  };
}

async function issue(ca: { certPem: string; keyPem: string }, name: string) {
  const { keys, privateKeyPem } = await generateKeyPair();
  const csr = await createCsr(keys, { commonName: name });
  const certPem = await signClientCsr(ca, csr, { identity: name });
  return { caPem: ca.certPem, certPem, keyPem: privateKeyPem };
}

async function waitFor(what: string, fn: () => Promise<boolean> | boolean, ms = 120_000) {
  const deadline = performance.now() + ms;
  while (!(await fn())) {
    if (performance.now() > deadline) throw new Error(`Cannot finish benchmark: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function plane(name: string, lattice: boolean): Promise<ControlPlane> {
  return await startControlPlane({ name, crds: { lattice, upstream: [...CLUSTER_API_CRD_SETS] } });
}

async function bench(): Promise<BenchResults> {
  const planes = await Promise.all([
    plane("gs-parent", true),
    plane("gs-a", true),
    plane("gs-b", true),
  ]);
  const [parent, ...childPlanes] = planes.map((p) => KubeClient.fromKubeconfig(p.kubeconfig));
  const stop = new AbortController();
  const closers: (() => Promise<void> | void)[] = [];
  try {
    await Promise.all([parent, ...childPlanes].map((c) => labelProviderCrds(c)));
    const ca = await createCa({ commonName: "bench-cell" });
    const registry = new AgentRegistry({ heartbeatIntervalMs: BEAT_MS });
    registry.start();
    closers.push(() => registry.close());
    const server = await startAgentServer({
      ca,
      serverCert: await issueServerCert(ca, { dnsNames: ["localhost"] }),
      registry,
      host: "127.0.0.1",
      port: 0,
    });
    closers.push(() => server.close(1_000));
    const link = createChildLink({ registry, heartbeatIntervalMs: BEAT_MS });
    closers.push(() => link.close());
    closers.push(new ChildStatusWriter(parent, { refreshMs: 6 * BEAT_MS }).attach(registry));
    const receiver = new UnpivotReceiver({
      target: new PivotTarget(parent),
      allowed: () => Promise.resolve(true),
      logger: log,
    });
    closers.push(receiver.attach(registry));

    const names = Array.from({ length: CHILDREN }, (_, i) => `c${String(i).padStart(2, "0")}`);
    const childOf = (i: number) => childPlanes[i % childPlanes.length];
    // The fleet as after the pivot: copies on the parent (Pivoted=True), own LatticeCluster
    // and CAPI objects on the child planes.
    for (const [i, name] of names.entries()) {
      const copy = await parent.create(doc(name) as unknown as KubeObject);
      await parent.patchStatus(LATTICE_CLUSTER_REF, name, undefined, {
        status: {
          conditions: [{
            type: "Pivoted",
            status: "True",
            reason: "PivotComplete",
            message: "",
            lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
          }],
        },
      });
      const child = childOf(i);
      const own = await child.create(
        doc(name) as unknown as KubeObject,
      ) as unknown as ClusterObject;
      const manifests = generateCapiObjects(own, {
        cellUrl: "https://unused",
        caBundlePem: ca.certPem,
        tokenSecretName: "unused",
      });
      for (const obj of manifests.objects) await child.apply(obj);
      void copy;
    }
    const cellController = clusterController(parent, {
      selfName: CELL,
      cell: { url: "https://unused", caBundlePem: "" },
      child: link,
      shortPollMs: 1_000,
    });
    void cellController.run(stop.signal);
    for (const [i, name] of names.entries()) {
      void clusterController(childOf(i), { selfName: name, workers: 1 }).run(stop.signal);
    }
    const creds = await Promise.all(names.map((n) => issue(ca, n)));
    const agents = names.map((name, i) => {
      const child = childOf(i);
      const reporter = new ChildReporter(child, name, { intervalMs: BEAT_MS });
      const unpivot = unpivotHandlers(child, { logger: log });
      const agent: AgentClient = new AgentClient({
        address: `localhost:${server.port}`,
        clusterName: name,
        credentials: creds[i],
        heartbeatIntervalMs: BEAT_MS,
        handlers: {
          ...specSyncHandlers(child, { onApplied: () => reporter.refresh() }),
          ...unpivot.handlers,
        },
        heartbeatExtras: () => reporter.extras(),
      });
      reporter.start();
      agent.start();
      closers.push(() => reporter.stop());
      closers.push(() => agent.stop());
      return agent;
    });
    await waitFor(
      "every child connected and synced",
      () => names.every((n) => link.syncer.state(n).state === "synced"),
    );
    void agents;

    // Spec down: 100 changes, two in flight, each on a different child.
    const replicas = new Map(names.map((n) => [n, 1]));
    const toAgentMs: number[] = [];
    const toCapiMs: number[] = [];
    const one = async (k: number) => {
      const name = names[k % names.length];
      const i = names.indexOf(name);
      const workers = replicas.get(name)! + 1;
      replicas.set(name, workers);
      const child = childOf(i);
      const t0 = performance.now();
      await parent.patch(LATTICE_CLUSTER_REF, name, { spec: { nodes: { workers } } });
      let applied = 0;
      await waitFor(`change ${k} on ${name}`, async () => {
        if (!applied) {
          const own = await child.get<KubeObject & { spec: { nodes: { workers: number } } }>(
            LATTICE_CLUSTER_REF,
            name,
          );
          if (own.spec.nodes.workers === workers) applied = performance.now() - t0;
        }
        const md = await child.get<KubeObject>(MD_REF, machineDeploymentName(name), `capi-${name}`)
          .catch(() => undefined);
        return (md?.spec as { replicas?: number } | undefined)?.replicas === workers;
      });
      toCapiMs.push(performance.now() - t0);
      toAgentMs.push(applied || performance.now() - t0);
    };
    for (let k = 0; k < CHANGES; k += 2) await Promise.all([one(k), one(k + 1)]);

    // Unpivot: 27-object clusters back to the parent over the stream, three in turn.
    const unpivotMs: number[] = [];
    let unpivotObjects = 0;
    for (const u of names.slice(0, Math.min(3, names.length))) {
      const uChild = childOf(names.indexOf(u));
      // The fixture stands in for the generated objects of a provisioned cluster.
      for (
        const obj of generateCapiObjects(doc(u) as unknown as ClusterObject, {
          cellUrl: "https://unused",
          caBundlePem: ca.certPem,
          tokenSecretName: "unused",
        }).objects.slice(1).reverse()
      ) {
        const ref = await uChild.resourceFor(obj.apiVersion!, obj.kind!);
        await uChild.delete(ref, obj.metadata!.name!, obj.metadata!.namespace, {
          ignoreNotFound: true,
        });
      }
      const fixture = clusterFixture(u, `capi-${u}`);
      unpivotObjects = fixture.length;
      await createFixture(uChild, `capi-${u}`, fixture);
      const t0 = performance.now();
      let state = await link.unpivot(u, `unpivot-${u}`);
      while (state.state !== "done") {
        if (performance.now() - t0 > 120_000) {
          throw new Error(`Cannot unpivot: ${JSON.stringify(state)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
        state = await link.unpivot(u, `unpivot-${u}`);
      }
      unpivotMs.push(performance.now() - t0);
    }

    return {
      children: CHILDREN,
      changes: toCapiMs.length,
      spec_to_child_lc_ms_p50: percentile(toAgentMs, 50),
      spec_to_child_lc_ms_p99: percentile(toAgentMs, 99),
      spec_to_capi_ms_p50: percentile(toCapiMs, 50),
      spec_to_capi_ms_p99: percentile(toCapiMs, 99),
      spec_to_capi_ms_max: Math.max(...toCapiMs),
      unpivot_objects: unpivotObjects,
      unpivot_ms_p50: percentile(unpivotMs, 50),
      unpivot_ms_max: Math.max(...unpivotMs),
      heartbeat_ms: BEAT_MS,
      load_average_1m: Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]),
    };
  } finally {
    stop.abort();
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    for (const c of [parent, ...childPlanes]) c.close();
    await Promise.all(planes.map((p) => p.stop()));
  }
}

if (import.meta.main) await runBench("gitops_sync", bench);
