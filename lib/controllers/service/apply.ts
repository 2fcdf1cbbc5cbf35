/**
 * Applying generated objects: server-side apply as the mesh's field manager with bounded
 * parallelism, a content hash annotation so unchanged objects are not sent again, and
 * pruning of the objects a label selector finds beyond the desired ones.
 */
import {
  isAlreadyExists,
  isNotFound,
  type KubeClient,
  type KubeObject,
  resourcePath,
  type ResourceRef,
} from "../../kube/mod.ts";
import { HASH_ANNOTATION, MESH_FIELD_MANAGER } from "./names.ts";

/** A stable short hash of an object's content (FNV-1a, 64-bit as two 32-bit halves). */
export function contentHash(obj: unknown): string {
  const text = JSON.stringify(obj);
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x811c9dc5) >>> 0;
  }
  return h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0");
}

/** `obj` with its hash annotation set. */
export function withHash(obj: KubeObject): KubeObject {
  const hash = contentHash(obj);
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      annotations: { ...obj.metadata?.annotations, [HASH_ANNOTATION]: hash },
    },
  };
}

/** The hash annotation of an object read from the API. */
export function hashOf(obj: KubeObject | undefined): string | undefined {
  return obj?.metadata?.annotations?.[HASH_ANNOTATION];
}

/** Runs `fn` over `items` with at most `limit` in flight; the first error wins. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

/** Server-side applies `obj` (hash annotated) as the mesh's field manager. */
export function applyObject<T extends KubeObject>(client: KubeClient, obj: KubeObject): Promise<T> {
  return client.apply<T>(withHash(obj) as T, { fieldManager: MESH_FIELD_MANAGER, force: true });
}

/**
 * Creates `obj` (hash annotated) as the mesh's field manager: for a CRD with a large
 * schema (Cilium's, Istio's) a create costs the apiserver about three quarters of a
 * server-side apply (docs/mesh.md, "Where the time goes"). Falls back to apply when it
 * exists after all. Returns the object as stored.
 */
export async function createObject<T extends KubeObject = KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  obj: KubeObject,
): Promise<T> {
  try {
    return await client.request<T>({
      method: "POST",
      path: resourcePath(ref, { namespace: obj.metadata?.namespace }),
      query: { fieldManager: MESH_FIELD_MANAGER },
      body: withHash(obj),
    });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    return await applyObject<T>(client, obj);
  }
}

/** Where {@linkcode syncKind} records its writes (the policy index). */
export interface WriteRecorder {
  wrote(obj: KubeObject, hash: string): void;
  deleted(obj: { namespace: string; name: string }): void;
}

/**
 * Makes the objects of one kind in `namespace` exactly `desired`: creates the new ones,
 * applies the changed ones (by content hash), deletes the `existing` ones (name → hash)
 * not desired. Unchanged objects cost no request. Returns how many requests it sent.
 */
export async function syncKind(
  client: KubeClient,
  ref: ResourceRef,
  namespace: string,
  desired: readonly KubeObject[],
  existing: ReadonlyMap<string, string>,
  parallelism: number,
  recorder?: WriteRecorder,
): Promise<number> {
  const wanted = new Set(desired.map((o) => o.metadata?.name ?? ""));
  const hashes = desired.map((o) => contentHash(o));
  const changed = desired
    .map((o, i) => ({ o, hash: hashes[i] }))
    .filter(({ o, hash }) => existing.get(o.metadata?.name ?? "") !== hash);
  const stale = [...existing.keys()].filter((name) => !wanted.has(name));
  await inParallel(changed, parallelism, async ({ o, hash }) => {
    const stored = existing.has(o.metadata?.name ?? "")
      ? await applyObject(client, o)
      : await createObject(client, ref, o);
    recorder?.wrote(stored, hash);
  });
  await inParallel(stale, parallelism, async (name) => {
    try {
      await client.delete(ref, name, namespace);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    recorder?.deleted({ namespace, name });
  });
  return changed.length + stale.length;
}
