/**
 * Helpers of the LatticeCluster controller integration tests: LatticeCluster documents,
 * reading CAPI objects, setting CAPI status the way CAPI controllers would.
 */
import type { LatticeClusterInput } from "../../lib/api/mod.ts";
import type { ClusterObject } from "../../lib/controllers/cluster/mod.ts";
import { LATTICE_CLUSTER_REF } from "../../lib/controllers/cluster/mod.ts";
import { isNotFound, type KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { CLUSTER_API_CRD_SETS } from "../../lib/sandbox/mod.ts";

/** A docker LatticeCluster document. */
export function clusterDoc(
  name: string,
  options: { cellRef?: string; controlPlane?: number; workers?: number; version?: string } = {},
): LatticeClusterInput {
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name },
    spec: {
      provider: { kubernetes: { version: options.version ?? "1.31.0" }, config: { docker: {} } },
      nodes: { controlPlane: options.controlPlane ?? 1, workers: options.workers ?? 2 },
      ...(options.cellRef ? { cellRef: options.cellRef } : {}),
    },
  };
}

/** Reads a LatticeCluster (undefined when gone). */
export async function getCluster(
  client: KubeClient,
  name: string,
): Promise<ClusterObject | undefined> {
  try {
    return await client.get<ClusterObject>(LATTICE_CLUSTER_REF, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Reads a LatticeCluster that must exist. */
export async function mustGetCluster(client: KubeClient, name: string): Promise<ClusterObject> {
  const c = await getCluster(client, name);
  if (!c) throw new Error(`Cannot read LatticeCluster ${name}: not found`);
  return c;
}

/** Reads any object by apiVersion/kind (undefined when gone). */
export async function getObject(
  client: KubeClient,
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
): Promise<KubeObject | undefined> {
  const ref = await client.resourceFor(apiVersion, kind);
  try {
    return await client.get<KubeObject>(ref, name, namespace);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Merge-patches the status of an object, as its CAPI controller would. */
export async function setStatus(
  client: KubeClient,
  apiVersion: string,
  kind: string,
  name: string,
  namespace: string,
  status: Record<string, unknown>,
): Promise<void> {
  const ref = await client.resourceFor(apiVersion, kind);
  await client.patchStatus(ref, name, namespace, { status });
}

/** Polls `check` until it returns a value (real controllers run asynchronously). */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Cannot observe ${what}: timed out`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reasons of the events recorded about LatticeCluster `name`. */
export async function eventReasons(client: KubeClient, name: string): Promise<string[]> {
  const ref = await client.resourceFor("events.k8s.io/v1", "Event");
  const list = await client.list<KubeObject & { reason?: string; regarding?: { name?: string } }>(
    ref,
    { namespace: "default" },
  );
  return list.items.filter((e) => e.regarding?.name === name).map((e) => e.reason ?? "");
}

/** The CRDs the cluster controller's integration tests install. */
export const CRDS = { lattice: true, upstream: [...CLUSTER_API_CRD_SETS] };

/** A condition of a LatticeCluster by type. */
export const condition = (c: ClusterObject | undefined, type: string) =>
  c?.status?.conditions?.find((x) => x.type === type);

/** Reads a nested field of an untyped object. */
export const at = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
