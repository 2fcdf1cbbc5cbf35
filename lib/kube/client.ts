/**
 * KubeClient: our own HTTP layer over Deno's fetch, so that watches, streaming and proxying
 * are ours to control. Credentials come from config.ts; errors are typed ApiErrors.
 */
import { reportKubeRequest } from "./request_observer.ts";
import { ApiError } from "./errors.ts";
import {
  type Connection,
  connectionFromKubeconfig,
  connectionInCluster,
  type InClusterOptions,
  type KubeconfigOptions,
} from "./config.ts";
import { Discovery } from "./discovery.ts";
import { headerLinesAgent, repeatedHeaderNames, requestWithHeaderLines } from "./header_lines.ts";
import { deadlineSignal } from "../runtime/clock.ts";
import type {
  ApplyOptions,
  CallOptions,
  DeleteOptions,
  KubeClientOptions,
  KubeRequest,
  ListOptions,
  PatchOptions,
  PatchType,
} from "./options.ts";
import {
  apiVersionOf,
  type KubeObject,
  type ObjectList,
  resourcePath,
  type ResourceRef,
} from "./types.ts";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

function isRawBody(body: unknown): body is BodyInit {
  return typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream;
}

/** What a client and the views made by `withSignal` share. */
interface Pool {
  http: Deno.HttpClient;
  discovery: Discovery;
  lines?: ReturnType<typeof headerLinesAgent>;
}

/** A client for one apiserver. Call `close()` when done (it owns a connection pool). */
export class KubeClient {
  /** The apiserver URL. */
  readonly server: string;
  #conn: Connection;
  #options: Required<KubeClientOptions>;
  #pool: Pool;
  /** Set on a view from `withSignal`: every call of the view aborts with it. */
  #signal?: AbortSignal;

  private constructor(
    conn: Connection,
    options: KubeClientOptions = {},
    view?: { pool: Pool; signal: AbortSignal },
  ) {
    this.server = conn.server;
    this.#conn = conn;
    this.#options = {
      timeoutMs: options.timeoutMs ?? 30_000,
      userAgent: options.userAgent ?? "lattice",
      fieldManager: options.fieldManager ?? "lattice",
    };
    if (view) {
      this.#pool = view.pool;
      this.#signal = view.signal;
      return;
    }
    const tls = conn.certPem && conn.keyPem ? { cert: conn.certPem, key: conn.keyPem } : {};
    this.#pool = {
      http: Deno.createHttpClient({ caCerts: conn.caPem ? [conn.caPem] : [], ...tls }),
      discovery: new Discovery((path) => this.request({ method: "GET", path })),
    };
  }

  /**
   * The same client (same pool, discovery cache and options) with `signal` bound to every
   * call: shutdown or lost leadership aborts whatever the holder of the view has in flight.
   * A view's `close()` does nothing; the pool belongs to the client it came from.
   */
  withSignal(signal: AbortSignal): KubeClient {
    const bound = this.#signal ? AbortSignal.any([this.#signal, signal]) : signal;
    return new KubeClient(this.#conn, this.#options, { pool: this.#pool, signal: bound });
  }

  /** The signal bound by `withSignal`, if any. */
  get signal(): AbortSignal | undefined {
    return this.#signal;
  }

  /** A client from a kubeconfig file. */
  static async fromKubeconfigFile(
    path: string,
    options: KubeClientOptions & KubeconfigOptions = {},
  ): Promise<KubeClient> {
    const text = await Deno.readTextFile(path).catch((cause) => {
      throw new Error(`Cannot read kubeconfig: ${path} is unreadable`, { cause });
    });
    return KubeClient.fromKubeconfig(text, options);
  }

  /** A client from kubeconfig YAML text. */
  static fromKubeconfig(
    yamlText: string,
    options: KubeClientOptions & KubeconfigOptions = {},
  ): KubeClient {
    return new KubeClient(connectionFromKubeconfig(yamlText, options), options);
  }

  /** A client from the pod's service account. */
  static async inCluster(options: KubeClientOptions & InClusterOptions): Promise<KubeClient> {
    return new KubeClient(await connectionInCluster(options), options);
  }

  /** The server, TLS material and credentials, for raw protocols (upgrades, lib/kube/upgrade.ts). */
  get connection(): Connection {
    return this.#conn;
  }

  /** Closes the connection pool; in-flight requests fail. */
  close(): void {
    if (this.#signal) return;
    this.#pool.http.close();
    this.#pool.lines?.destroy();
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Sends a request and returns the raw response, whatever its status (for streaming). */
  async fetchRaw(req: KubeRequest): Promise<Response> {
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    // Pairs keep repeated names (Impersonate-Group) as separate lines; see header_lines.ts.
    const pairs: [string, string][] = Array.isArray(req.headers)
      ? [...req.headers]
      : Object.entries(req.headers ?? {});
    const repeated = repeatedHeaderNames(pairs);
    const isRepeated = ([name]: [string, string]) => repeated.has(name.toLowerCase());
    const headers = new Headers(pairs.filter((pair) => !isRepeated(pair)));
    headers.set("user-agent", this.#options.userAgent);
    if (!headers.has("accept")) headers.set("accept", "application/json");
    const auth = await this.#conn.authorization();
    if (auth) headers.set("authorization", auth);
    let body: BodyInit | undefined;
    if (req.body !== undefined) {
      body = isRawBody(req.body) ? req.body : JSON.stringify(req.body);
      headers.set("content-type", req.contentType ?? "application/json");
    }
    // The caller's signal must stay linked for the body's whole life (watch streams), so
    // it is combined, not relayed; the timeout only bounds getting the response headers.
    const callers = [this.#signal, req.signal].filter((s): s is AbortSignal => !!s);
    const caller = callers.length > 1 ? AbortSignal.any(callers) : callers[0];
    if (caller?.aborted) throw caller.reason;
    const timeout = req.timeoutMs === undefined
      ? undefined
      : deadlineSignal(req.timeoutMs, `${req.method} ${req.path}`);
    const signals = [caller, timeout?.signal].filter((s): s is AbortSignal => !!s);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    try {
      if (repeated.size > 0) {
        const lines: [string, string][] = [...headers, ...pairs.filter(isRepeated)];
        const agent = this.#pool.lines ??= headerLinesAgent(this.#conn);
        return await requestWithHeaderLines(agent, {
          url,
          method: req.method,
          headers: lines,
          body: body as string | Uint8Array | ReadableStream<Uint8Array> | undefined,
          signal,
        });
      }
      const started = performance.now();
      const response = await fetch(url, {
        method: req.method,
        headers,
        body,
        signal,
        client: this.#pool.http,
      }).catch((error) => {
        const seconds = (performance.now() - started) / 1000;
        reportKubeRequest({ method: req.method, host: url.host, code: "<error>", seconds });
        throw error;
      });
      const seconds = (performance.now() - started) / 1000;
      reportKubeRequest({
        method: req.method,
        host: url.host,
        code: String(response.status),
        seconds,
      });
      return response;
    } catch (cause) {
      if (caller?.aborted) throw caller.reason ?? cause;
      throw new Error(`Cannot ${req.method} ${req.path}: the request failed`, { cause });
    } finally {
      timeout?.cancel();
    }
  }

  /** Sends a request and decodes the JSON answer; non-2xx answers throw an ApiError. */
  async request<T>(req: KubeRequest): Promise<T> {
    const timeoutMs = req.timeoutMs ?? this.#options.timeoutMs;
    const response = await this.fetchRaw({ ...req, timeoutMs });
    const what = `${req.method} ${req.path}`;
    if (!response.ok) throw await ApiError.fromResponse(response, what);
    const text = await response.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new Error(`Cannot ${what}: the answer is not JSON`, { cause });
    }
  }

  /** Resolves a kind to its resource via discovery (cached; refreshed on a miss). */
  resourceFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    return this.#pool.discovery.resourceFor(apiVersion, kind);
  }

  /** Reads one object. */
  get<T = KubeObject>(
    ref: ResourceRef,
    name: string,
    namespace?: string,
    options: CallOptions = {},
  ): Promise<T> {
    return this.request<T>({
      method: "GET",
      path: resourcePath(ref, { name, namespace }),
      signal: options.signal,
    });
  }

  /** Lists one page (pass `limit`/`continue` to page) or everything. */
  list<T = KubeObject>(ref: ResourceRef, options: ListOptions = {}): Promise<ObjectList<T>> {
    const query: Record<string, string> = {};
    if (options.labelSelector) query.labelSelector = options.labelSelector;
    if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
    if (options.limit) query.limit = String(options.limit);
    if (options.continue) query.continue = options.continue;
    if (options.resourceVersion !== undefined) query.resourceVersion = options.resourceVersion;
    return this.request<ObjectList<T>>({
      method: "GET",
      path: resourcePath(ref, { namespace: options.namespace }),
      query,
      signal: options.signal,
    });
  }

  async #refOf(obj: KubeObject): Promise<ResourceRef> {
    if (!obj.apiVersion || !obj.kind) {
      throw new Error("Cannot resolve resource: the object has no apiVersion or kind");
    }
    return await this.resourceFor(obj.apiVersion, obj.kind);
  }

  /** Creates an object (its apiVersion/kind pick the resource). */
  async create<T extends KubeObject>(obj: T, options: CallOptions = {}): Promise<T> {
    const ref = await this.#refOf(obj);
    const path = resourcePath(ref, { namespace: obj.metadata?.namespace });
    return this.request<T>({ method: "POST", path, body: obj, signal: options.signal });
  }

  /** Replaces an object (PUT); send its resourceVersion for optimistic concurrency. */
  async replace<T extends KubeObject>(obj: T, options: CallOptions = {}): Promise<T> {
    const ref = await this.#refOf(obj);
    const path = resourcePath(ref, {
      namespace: obj.metadata?.namespace,
      name: obj.metadata?.name ?? "",
    });
    return this.request<T>({ method: "PUT", path, body: obj, signal: options.signal });
  }

  /** Deletes an object; throws NotFound unless `ignoreNotFound`. */
  async delete(
    ref: ResourceRef,
    name: string,
    namespace?: string,
    options: DeleteOptions = {},
  ): Promise<void> {
    const body = options.propagationPolicy
      ? { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: options.propagationPolicy }
      : undefined;
    try {
      await this.request({
        method: "DELETE",
        path: resourcePath(ref, { name, namespace }),
        body,
        signal: options.signal,
      });
    } catch (error) {
      if (options.ignoreNotFound && error instanceof ApiError && error.status === 404) return;
      throw error;
    }
  }

  /** Patches an object (merge patch unless `type` says otherwise). */
  patch<T = KubeObject>(
    ref: ResourceRef,
    name: string,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const type = options.type ?? "merge";
    return this.request<T>({
      method: "PATCH",
      path: resourcePath(ref, {
        name,
        namespace: options.namespace,
        subresource: options.subresource,
      }),
      query: options.query,
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      signal: options.signal,
    });
  }

  async #apply<T extends KubeObject>(obj: T, options: ApplyOptions, sub?: string): Promise<T> {
    const ref = await this.#refOf(obj);
    const query: Record<string, string> = {
      fieldManager: options.fieldManager ?? this.#options.fieldManager,
      force: String(options.force ?? true),
    };
    if (options.dryRun) query.dryRun = "All";
    // JSON is valid YAML, so the apply patch is sent as JSON text.
    const body = { ...obj, apiVersion: apiVersionOf(ref), kind: ref.kind };
    return this.patch<T>(ref, obj.metadata?.name ?? "", JSON.stringify(body), {
      namespace: obj.metadata?.namespace,
      type: "apply",
      subresource: sub,
      query,
      signal: options.signal,
    });
  }

  /** Server-side apply of the fields in `obj` as field manager `lattice`. */
  apply<T extends KubeObject>(obj: T, options: ApplyOptions = {}): Promise<T> {
    return this.#apply(obj, options);
  }

  /** Server-side apply to the status subresource. */
  applyStatus<T extends KubeObject>(obj: T, options: ApplyOptions = {}): Promise<T> {
    return this.#apply(obj, options, "status");
  }

  /** Merge-patches the status subresource. */
  patchStatus<T = KubeObject>(
    ref: ResourceRef,
    name: string,
    namespace: string | undefined,
    mergePatch: unknown,
    options: CallOptions = {},
  ): Promise<T> {
    return this.patch<T>(ref, name, mergePatch, {
      namespace,
      subresource: "status",
      signal: options.signal,
    });
  }
}
