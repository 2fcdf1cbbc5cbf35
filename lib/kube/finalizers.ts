/**
 * Finalizer helpers. Both patch `metadata.finalizers` with the object's resourceVersion, so
 * a concurrent change makes them fail with a Conflict instead of clobbering another
 * controller's finalizer; the caller's reconcile is retried and sees fresh state.
 */
import type { KubeClient } from "./client.ts";
import type { KubeObject, ResourceRef } from "./types.ts";

/** True when `obj` carries finalizer `name`. */
export function hasFinalizer(obj: KubeObject, name: string): boolean {
  return obj.metadata?.finalizers?.includes(name) ?? false;
}

async function setFinalizers<T extends KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  obj: T,
  finalizers: string[],
): Promise<T> {
  const meta = obj.metadata ?? {};
  return await client.patch<T>(ref, meta.name ?? "", {
    metadata: { finalizers, resourceVersion: meta.resourceVersion },
  }, { namespace: meta.namespace });
}

/** Adds finalizer `name` (no call when present); returns the updated object. */
export function addFinalizer<T extends KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  obj: T,
  name: string,
): Promise<T> {
  if (hasFinalizer(obj, name)) return Promise.resolve(obj);
  return setFinalizers(client, ref, obj, [...(obj.metadata?.finalizers ?? []), name]);
}

/** Removes finalizer `name` (no call when absent); returns the updated object. */
export function removeFinalizer<T extends KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  obj: T,
  name: string,
): Promise<T> {
  if (!hasFinalizer(obj, name)) return Promise.resolve(obj);
  const rest = (obj.metadata?.finalizers ?? []).filter((f) => f !== name);
  return setFinalizers(client, ref, obj, rest);
}
