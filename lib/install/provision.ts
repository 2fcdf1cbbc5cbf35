/**
 * Provisioning one cluster from its parent cell and following it through the pivot, as a
 * person (or `lattice install`) watching from outside does: apply its LatticeCluster to the
 * parent, print phase changes, save its kubeconfig as soon as its API answers (before the
 * pivot moves CAPI's kubeconfig Secret into the cluster), ready it with `prepare`, and
 * return once the parent reports Ready and the cluster holds its own CAPI objects.
 */
import { LATTICE_CLUSTER_REF, type LatticeClusterInput } from "../api/mod.ts";
import { capiNamespace } from "../capi/labels.ts";
import { getOrUndefined, KubeClient, type KubeObject } from "../kube/mod.ts";
import { formatTransition, PhaseTracker } from "../sandbox/sandbox_progress.ts";
import { SECRET_REF } from "../kube/refs.ts";
import { sleep, systemClock } from "../runtime/clock.ts";
import { CAPI_CLUSTER_REF } from "../controllers/cluster/controller.ts";

/** Options of {@linkcode provisionCluster}. */
export interface ProvisionOptions {
  /** Admin kubeconfig of the parent cell's cluster. */
  parentKubeconfig: string;
  cluster: LatticeClusterInput;
  /** Readies the new cluster for the pivot, given its kubeconfig (runs while it provisions). */
  prepare?: (kubeconfig: string) => Promise<void>;
  /** Where the cluster's kubeconfig is written (mode 0600) as soon as its API answers. */
  kubeconfigOut?: string;
  /** How long the cluster may take to reach Ready; default 45 min. */
  timeoutMs?: number;
  /** Poll interval; default 2 s. */
  pollMs?: number;
  /** Stops the wait (Ctrl-C): the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Records phase changes (a fresh one when omitted). */
  tracker?: PhaseTracker;
  print?: (line: string) => void;
}

interface ClusterState {
  phase?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

/** Why a LatticeCluster is stuck or Failed: its False conditions' messages. */
export function failureReason(status: ClusterState | undefined): string {
  const reasons = (status?.conditions ?? [])
    .filter((c) => c.status === "False" && c.message)
    .map((c) => `${c.type}: ${c.message}`);
  return reasons.length > 0 ? reasons.join("; ") : "no condition says why";
}

/** A cluster's kubeconfig from CAPI's `<name>-kubeconfig` Secret on its parent. */
export async function capiKubeconfig(
  parent: KubeClient,
  name: string,
): Promise<string | undefined> {
  const secret = await getOrUndefined(() =>
    parent.get<KubeObject & { data?: Record<string, string> }>(
      SECRET_REF,
      `${name}-kubeconfig`,
      capiNamespace(name),
    )
  );
  const value = secret?.data?.value;
  if (!value) return undefined;
  return new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
}

/** Whether the API server behind `kubeconfig` answers /readyz. */
export async function answers(kubeconfig: string): Promise<boolean> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const res = await client.fetchRaw({ method: "GET", path: "/readyz", timeoutMs: 5_000 });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** The kubeconfig saved at `path` by an earlier run, when its API answers. */
async function savedKubeconfig(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  const text = await Deno.readTextFile(path).catch(() => undefined);
  return text && await answers(text) ? text : undefined;
}

/** Provisions `cluster` from its parent and returns its kubeconfig once it is self-managing. */
export async function provisionCluster(options: ProvisionOptions): Promise<string> {
  const print = options.print ?? (() => {});
  const tracker = options.tracker ?? new PhaseTracker();
  const name = options.cluster.metadata.name;
  const timeoutMs = options.timeoutMs ?? 45 * 60_000;
  const parent = KubeClient.fromKubeconfig(options.parentKubeconfig);
  let kubeconfig: string | undefined;
  let preparing: Promise<void> | undefined;
  try {
    await parent.apply(options.cluster as unknown as KubeObject);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lc = await getOrUndefined(() =>
        parent.get<KubeObject & { status?: ClusterState }>(LATTICE_CLUSTER_REF, name)
      );
      const t = tracker.observe(name, lc?.status?.phase);
      if (t) print(formatTransition(t));
      if (lc?.status?.phase === "Failed") {
        throw new Error(`${name} Failed: ${failureReason(lc.status)}`);
      }
      if (!kubeconfig) {
        const text = await capiKubeconfig(parent, name);
        if (text && await answers(text)) {
          kubeconfig = text;
          if (options.kubeconfigOut) {
            await Deno.writeTextFile(options.kubeconfigOut, text, { mode: 0o600 });
            print(`${name}'s API answers; kubeconfig written to ${options.kubeconfigOut}`);
          }
          preparing = options.prepare?.(text);
          // Awaited below; a failure must not go unobserved while polling goes on.
          preparing?.catch(() => {});
        }
      }
      if (lc?.status?.phase === "Ready") {
        // Run again after the pivot, the Secret has moved: use the kubeconfig saved then.
        kubeconfig ??= await savedKubeconfig(options.kubeconfigOut);
        if (kubeconfig) break;
        throw new Error(
          `${name} is Ready but its API never answered at the address in ` +
            `${name}-kubeconfig before the pivot; check that this machine reaches ${name}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${name} is ${lc?.status?.phase ?? "Pending"} after ${Math.round(timeoutMs / 1000)}s ` +
            `(${failureReason(lc?.status)})`,
        );
      }
      await sleep(systemClock, options.pollMs ?? 2_000, options.signal);
    }
    await preparing;
    await verifySelfManaging(parent, kubeconfig, name);
    return kubeconfig;
  } finally {
    parent.close();
  }
}

/** The cluster holds its own CAPI Cluster and LatticeCluster; its parent holds none. */
async function verifySelfManaging(
  parent: KubeClient,
  kubeconfig: string,
  name: string,
): Promise<void> {
  const namespace = capiNamespace(name);
  if (await getOrUndefined(() => parent.get(CAPI_CLUSTER_REF, name, namespace))) {
    throw new Error(`the parent still holds Cluster ${namespace}/${name} after the pivot`);
  }
  const own = KubeClient.fromKubeconfig(kubeconfig);
  try {
    if (!await getOrUndefined(() => own.get(CAPI_CLUSTER_REF, name, namespace))) {
      throw new Error(`${name} does not hold its Cluster ${namespace}/${name}`);
    }
    if (!await getOrUndefined(() => own.get(LATTICE_CLUSTER_REF, name))) {
      throw new Error(`${name} does not hold its own LatticeCluster`);
    }
  } finally {
    own.close();
  }
}
