/**
 * The request and option shapes of KubeClient's methods.
 */

/** One HTTP request to the apiserver. */
export interface KubeRequest {
  method: string;
  /** Absolute API path, e.g. `/api/v1/namespaces`. */
  path: string;
  query?: Record<string, string>;
  /** JSON-encoded unless a string, bytes or a stream. */
  body?: unknown;
  /** Default `application/json` when a body is given. */
  contentType?: string;
  /**
   * Request headers. As pairs, a name may repeat and each pair is sent as its own header
   * line (fetch would join them into one): needed for several `Impersonate-Group`s.
   */
  headers?: Record<string, string> | [string, string][];
  signal?: AbortSignal;
  /** Abort after this long; default the client's timeout for `request`, none for `fetchRaw`. */
  timeoutMs?: number;
}

/** Options shared by every way of building a client. */
export interface KubeClientOptions {
  /** Default timeout of `request` (not of watches); default 30 s. */
  timeoutMs?: number;
  /** User-Agent header; default `lattice`. */
  userAgent?: string;
  /** Field manager for server-side apply; default `lattice`. */
  fieldManager?: string;
}

/**
 * What every KubeClient call accepts: a signal that aborts it (shutdown, lost leadership,
 * a reconcile's deadline). Also bound for every call with `client.withSignal`.
 */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options for {@linkcode KubeClient.list}. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
}

/** Options for {@linkcode KubeClient.apply} and {@linkcode KubeClient.applyStatus}. */
export interface ApplyOptions extends CallOptions {
  /** Take ownership of conflicting fields; default true (we apply only fields we own). */
  force?: boolean;
  /** Default the client's field manager (`lattice`). */
  fieldManager?: string;
  dryRun?: boolean;
}

/** Options for {@linkcode KubeClient.delete}. */
export interface DeleteOptions extends CallOptions {
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  /** Resolve instead of throwing when the object is already gone. */
  ignoreNotFound?: boolean;
}

/** Patch flavours the apiserver accepts. */
export type PatchType = "merge" | "json" | "strategic" | "apply";

/** Options for {@linkcode KubeClient.patch}. */
export interface PatchOptions extends CallOptions {
  namespace?: string;
  /** Default `merge`. */
  type?: PatchType;
  subresource?: string;
  query?: Record<string, string>;
}
