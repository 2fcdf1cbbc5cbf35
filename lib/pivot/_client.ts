/**
 * Folder-internal: the slice of KubeClient the pivot uses, and small I/O helpers.
 */
import type { KubeClient } from "../kube/client.ts";
import type { KubeObject, ResourceRef } from "../kube/types.ts";
import { CAPI_GROUP } from "./types.ts";
import { CRD_REF } from "../kube/refs.ts";

export { CRD_REF };

/** The KubeClient methods the pivot calls (a KubeClient satisfies it). */
export type PivotClient = Pick<
  KubeClient,
  "get" | "list" | "create" | "delete" | "patch" | "patchStatus" | "resourceFor"
>;

/**
 * `client` with `signal` bound to every call when it can bind one (a KubeClient can; a
 * test's or benchmark's wrapper may not, and then its calls are only checked between steps).
 */
export function bindSignal(client: PivotClient, signal?: AbortSignal): PivotClient {
  if (!signal) return client;
  const bindable = client as PivotClient & { withSignal?: (s: AbortSignal) => PivotClient };
  return typeof bindable.withSignal === "function" ? bindable.withSignal(signal) : client;
}

/** The fields of a CRD the pivot reads. */
export interface CrdObject extends KubeObject {
  spec: {
    group: string;
    scope: "Namespaced" | "Cluster";
    names: { kind: string; plural: string };
    versions: { name: string; served: boolean; storage: boolean }[];
  };
}

/** The resource of a CRD at its storage version. */
export function storageRefOf(crd: CrdObject): ResourceRef {
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  return {
    group: crd.spec.group,
    version: version.name,
    plural: crd.spec.names.plural,
    kind: crd.spec.names.kind,
    namespaced: crd.spec.scope === "Namespaced",
  };
}

/** The storage-version resource of a Cluster API core kind, read from its CRD. */
export async function capiRef(client: PivotClient, plural: string): Promise<ResourceRef> {
  const crd = await client.get<CrdObject>(CRD_REF, `${plural}.${CAPI_GROUP}`);
  return storageRefOf(crd);
}

/** Lists every page of `ref` in `namespace`, setting apiVersion/kind on the items. */
export async function listAll(
  client: PivotClient,
  ref: ResourceRef,
  options: { namespace?: string; labelSelector?: string } = {},
): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  const apiVersion = ref.group ? `${ref.group}/${ref.version}` : ref.version;
  let cont: string | undefined;
  do {
    const page = await client.list<KubeObject>(ref, { ...options, limit: 500, continue: cont });
    // Core list answers omit apiVersion/kind on items; the graph needs them.
    for (const item of page.items) items.push({ ...item, apiVersion, kind: ref.kind });
    cont = page.metadata.continue || undefined;
  } while (cont);
  return items;
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first error. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.error;
}

/** Groups items by a numeric key, in ascending key order. */
export function byLevel<T>(items: readonly T[], levelOf: (item: T) => number): T[][] {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const level = levelOf(item);
    const group = groups.get(level);
    if (group) group.push(item);
    else groups.set(level, [item]);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
}
