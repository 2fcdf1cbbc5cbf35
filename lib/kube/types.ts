/**
 * The minimal object shapes every Kubernetes resource shares, and how a resource maps to
 * REST paths. Kept generic: callers bring their own typed objects.
 */

/** An owner reference (metadata.ownerReferences[]). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The fields of `metadata` the client and runtime read. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** A resource type as discovery describes it. */
export interface ResourceRef {
  /** API group; `""` for the core group. */
  group: string;
  version: string;
  /** Lower-case plural used in paths, e.g. `deployments`. */
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** A list answer. */
export interface ObjectList<T> {
  items: T[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

/** Options for {@linkcode resourcePath}. */
export interface ResourcePathOptions {
  namespace?: string;
  name?: string;
  /** e.g. `status`. */
  subresource?: string;
}

/** The `apiVersion` string of a resource: `v1` or `group/version`. */
export function apiVersionOf(ref: ResourceRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** Splits `group/version` (or `v1`) into its parts. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * The REST path of a collection or object. A namespaced resource without a namespace
 * addresses all namespaces (list/watch only).
 */
export function resourcePath(ref: ResourceRef, options: ResourcePathOptions = {}): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  const ns = ref.namespaced && options.namespace
    ? `/namespaces/${encodeURIComponent(options.namespace)}`
    : "";
  let path = `${base}${ns}/${ref.plural}`;
  if (options.name !== undefined) path += `/${encodeURIComponent(options.name)}`;
  if (options.subresource) path += `/${options.subresource}`;
  return path;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the store and queue key. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? "";
  return ns ? `${ns}/${name}` : name;
}

/** Splits a key made by {@linkcode objectKey}. */
export function parseKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
