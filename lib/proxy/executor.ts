/**
 * The agent side of the proxy: runs each KubernetesRequest against the child's own
 * apiserver while IMPERSONATING the caller, and streams the answer back in frames.
 *
 * The cell asserts who the caller is (Impersonate-User / Impersonate-Group in the request);
 * the agent always prefixes those names with `lattice:<cell>:`, so a parent can never make
 * the agent act as a local identity (system:masters, a service account): the child's RBAC
 * decides what a parent's user may do, never the agent's own power.
 */
import { Buffer } from "node:buffer";
import type { KubeClient } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { statusBody } from "../cell/errors.ts";
import type {
  KubernetesRequest,
  KubernetesRequestBody,
  KubernetesResponse,
  KubernetesStreamFrame,
} from "../proto/lattice/agent/v1/agent.ts";
import { RelayTable } from "./upgrade.ts";
import { type NestedUpgrade, runUpgrade } from "./upgrade_agent.ts";
import { filterResponseHeaders } from "./headers.ts";
import { checkForwardedPath, InvalidPathError, isStreamingRequest } from "./paths.ts";
import type { RequestExecutor } from "./transport.ts";
import { type Identity, impersonatedIdentity, USER_HEADER } from "./identity.ts";

/** Serves `/clusters/...` paths when this child is a cell itself (the next hop). */
export type NestedProxy =
  & ((
    identity: Identity,
    request: KubernetesRequest,
    signal: AbortSignal,
    /** The streamed body when `request.bodyFollows`. */
    body?: ReadableStream<Uint8Array>,
  ) => Promise<Response>)
  & {
    /** Upgrades (exec, attach, port-forward) to the next hop. */
    upgrade?: NestedUpgrade;
  };

/** Options for {@linkcode ProxyExecutor}. */
export interface ProxyExecutorOptions {
  /** Largest body chunk per frame; default 64 KiB (keeps gRPC messages small). */
  chunkBytes?: number;
  /** Handler of nested `/clusters/{name}/...` requests; absent, they answer 404. */
  nested?: NestedProxy;
  /**
   * Bytes of a streamed request body queued for the apiserver before the request is failed
   * (503): the apiserver reads far faster than the stream delivers, so this is only reached
   * by a stuck apiserver. Default 1 MiB per request.
   */
  bodyWindowBytes?: number;
  logger?: Logger;
}

class BodyOverflowError extends Error {}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
// Request headers the child sees besides the impersonation; the rest is dropped.
const FORWARDED_REQUEST_HEADERS = ["accept", "kubectl-command", "kubectl-session"];

function frame(
  requestId: string,
  fields: Partial<Omit<KubernetesResponse, "requestId">>,
): KubernetesResponse {
  return {
    requestId,
    status: fields.status ?? 0,
    headers: fields.headers ?? {},
    body: fields.body ?? Buffer.alloc(0),
    endOfStream: fields.endOfStream ?? false,
  };
}

function statusFrame(requestId: string, code: number, message: string): KubernetesResponse {
  return frame(requestId, {
    status: code,
    headers: { "content-type": "application/json" },
    body: Buffer.from(JSON.stringify(statusBody(code, message))),
    endOfStream: true,
  });
}

/** Runs proxied requests on the child; one instance per agent (per stream). */
export class ProxyExecutor implements RequestExecutor {
  readonly #client: KubeClient;
  readonly #cellName: string;
  readonly #chunkBytes: number;
  readonly #nested?: NestedProxy;
  readonly #log: Logger;
  readonly #running = new Map<string, AbortController>();
  readonly #bodies = new Map<string, ReadableStreamDefaultController<Uint8Array>>();
  readonly #bodyWindow: number;
  readonly #relays = new RelayTable();

  /** `cellName` is the parent cell's cluster name: the impersonation prefix. */
  constructor(client: KubeClient, cellName: string, options: ProxyExecutorOptions = {}) {
    this.#client = client;
    this.#cellName = cellName;
    this.#chunkBytes = options.chunkBytes ?? 64 << 10;
    this.#nested = options.nested;
    this.#bodyWindow = options.bodyWindowBytes ?? 1 << 20;
    this.#log = options.logger ?? silentLogger;
  }

  /** How many requests are running now (watches included). */
  get inFlight(): number {
    return this.#running.size;
  }

  /** How many upgraded connections (exec, attach, port-forward) are open. */
  get openRelays(): number {
    return this.#relays.size;
  }

  /** {@inheritDoc RequestExecutor.frame} */
  frame(frame: KubernetesStreamFrame): void {
    this.#relays.deliver(frame, "");
  }

  /** How many streamed request bodies are being received now. */
  get bodiesInFlight(): number {
    return this.#bodies.size;
  }

  /** {@inheritDoc RequestExecutor.execute} */
  execute(
    request: KubernetesRequest,
    send: (frame: KubernetesResponse) => void,
    stream?: (frame: KubernetesStreamFrame) => void,
    ready?: () => Promise<void>,
  ): void {
    const id = request.requestId;
    if (this.#running.has(id)) {
      // Answering would mix frames into the running request of that id: drop it.
      this.#log.warn("Dropped proxied request with a duplicate id", { requestId: id });
      return;
    }
    const controller = new AbortController();
    this.#running.set(id, controller);
    let body: ReadableStream<Uint8Array> | undefined;
    if (request.bodyFollows) {
      body = new ReadableStream<Uint8Array>(
        {
          start: (bodyController) => void this.#bodies.set(id, bodyController),
          cancel: () => void this.#bodies.delete(id),
        },
        new ByteLengthQueuingStrategy({ highWaterMark: this.#bodyWindow }),
      );
    }
    const forget = () => {
      if (this.#running.get(id) === controller) {
        this.#running.delete(id);
        this.#dropBody(id, new Error("The request ended"));
      }
    };
    // Forgotten as its last frame leaves, so inFlight is exact when the cell sees the end.
    const tracked = (frame: KubernetesResponse) => {
      if (frame.endOfStream) forget();
      send(frame);
    };
    this.#run(request, tracked, controller.signal, body, stream, ready)
      .catch((error) => {
        if (controller.signal.reason instanceof BodyOverflowError) {
          tracked(statusFrame(id, 503, controller.signal.reason.message));
        } else if (controller.signal.aborted) {
          tracked(frame(id, { status: 499, endOfStream: true }));
        } else {
          this.#log.warn("Proxied request failed", {
            requestId: id,
            error,
            cause: String(error?.cause ?? ""),
          });
          tracked(statusFrame(id, 502, "Cannot proxy: the child's apiserver did not answer"));
        }
      })
      .finally(forget);
  }

  /** {@inheritDoc RequestExecutor.cancel} */
  cancel(requestId: string): void {
    this.#relays.get(requestId)?.abort(1011, "cancelled by the cell");
    this.#dropBody(requestId, new Error("Cancelled by the cell"));
    this.#running.get(requestId)?.abort(new Error("Cancelled by the cell"));
  }

  /** {@inheritDoc RequestExecutor.body} */
  body(chunk: KubernetesRequestBody): void {
    const id = chunk.requestId;
    const controller = this.#bodies.get(id);
    // The request ended already (answered early, cancelled): the rest is dropped.
    if (!controller) return;
    if (chunk.data.length > 0) {
      controller.enqueue(new Uint8Array(chunk.data));
      if ((controller.desiredSize ?? 0) < 0) {
        const error = new BodyOverflowError(
          "Cannot proxy: the child's apiserver does not read the request body",
        );
        this.#dropBody(id, error);
        this.#running.get(id)?.abort(error);
        return;
      }
    }
    if (chunk.endOfBody) {
      this.#bodies.delete(id);
      controller.close();
    }
  }

  /** Frees a streamed body's queue at once. */
  #dropBody(requestId: string, reason: Error): void {
    const controller = this.#bodies.get(requestId);
    if (!controller) return;
    this.#bodies.delete(requestId);
    try {
      controller.error(reason);
    } catch {
      // Already closed or cancelled.
    }
  }

  /** Cancels every running request (the stream that carried them is gone). */
  cancelAll(): void {
    this.#relays.abortAll("the stream to the cell closed");
    for (const id of [...this.#bodies.keys()]) {
      this.#dropBody(id, new Error("The stream to the cell closed"));
    }
    for (const controller of this.#running.values()) {
      controller.abort(new Error("The stream to the cell closed"));
    }
  }

  async #run(
    request: KubernetesRequest,
    send: (frame: KubernetesResponse) => void,
    signal: AbortSignal,
    body?: ReadableStream<Uint8Array>,
    stream?: (frame: KubernetesStreamFrame) => void,
    ready?: () => Promise<void>,
  ): Promise<void> {
    const id = request.requestId;
    const method = request.method.toUpperCase();
    let path: string;
    try {
      if (!METHODS.has(method)) throw new InvalidPathError(`Cannot proxy: method ${method}`, 400);
      path = checkForwardedPath(request.path);
    } catch (error) {
      const code = error instanceof InvalidPathError ? error.code : 400;
      send(statusFrame(id, code, (error as Error).message));
      return;
    }
    const identity = impersonatedIdentity(this.#cellName, request.headers);
    if (!identity) {
      // Never fall back to the agent's own credentials.
      send(statusFrame(id, 403, `Cannot proxy: the request names no ${USER_HEADER}`));
      return;
    }
    if (request.upgrade) {
      if (!stream || method !== "GET") {
        send(statusFrame(id, 400, "Cannot proxy: only WebSocket (GET) upgrades are relayed"));
        return;
      }
      const headers = this.#childHeaders(request.headers, identity)
        .filter(([name]) => !name.startsWith("impersonate-"));
      await runUpgrade(
        request,
        path,
        {
          client: this.#client,
          relays: this.#relays,
          identity,
          headers,
          nested: this.#nested?.upgrade,
          signal,
        },
        send,
        stream,
      );
      return;
    }
    let response: Response;
    if (path.startsWith("/clusters/")) {
      if (!this.#nested) {
        send(statusFrame(id, 404, "Cannot proxy: this cluster is not a cell"));
        return;
      }
      response = await this.#nested(identity, request, signal, body);
    } else {
      response = await this.#client.fetchRaw({
        method,
        path: request.path,
        headers: this.#childHeaders(request.headers, identity),
        body: body ?? (request.body.length > 0 ? new Uint8Array(request.body) : undefined),
        contentType: request.headers["content-type"],
        signal,
        timeoutMs: isStreamingRequest(request.path) ? undefined : 60_000,
      });
    }
    await this.#relay(id, response, send, signal, ready);
  }

  #childHeaders(headers: Record<string, string>, identity: Identity): [string, string][] {
    const out: [string, string][] = [];
    for (const name of FORWARDED_REQUEST_HEADERS) {
      if (headers[name]) out.push([name, headers[name]]);
    }
    out.push(["impersonate-user", identity.user]);
    for (const group of identity.groups) out.push(["impersonate-group", group]);
    // The apiserver reads each Impersonate-Group line as one group, so repeated headers
    // must stay separate lines: fetchRaw sends a list of pairs line by line.
    return out;
  }

  async #relay(
    id: string,
    response: Response,
    send: (frame: KubernetesResponse) => void,
    signal: AbortSignal,
    ready?: () => Promise<void>,
  ): Promise<void> {
    // Only what the Kubernetes API sends (no hop-by-hop, encoding or cookie headers); the
    // cell filters again, as it does not trust its children.
    const headers = filterResponseHeaders(response.headers);
    // The head goes first and alone: a watch's client waits for it before any event.
    send(frame(id, { status: response.status, headers }));
    if (!response.body) {
      send(frame(id, { endOfStream: true }));
      return;
    }
    const reader = response.body.getReader();
    const onAbort = () => reader.cancel().catch(() => {});
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let at = 0; at < value.length; at += this.#chunkBytes) {
          const piece = value.subarray(at, at + this.#chunkBytes);
          send(frame(id, { body: Buffer.from(piece.buffer, piece.byteOffset, piece.length) }));
        }
        // The stream's write buffer is full: read no more from the apiserver until it drains
        // (TCP then slows the apiserver), so a slow cell never grows the agent's memory.
        if (ready) await ready();
      }
    } catch (error) {
      if (!signal.aborted) this.#log.debug("Proxied body ended early", { requestId: id, error });
    } finally {
      signal.removeEventListener("abort", onAbort);
      send(frame(id, { endOfStream: true }));
    }
  }
}
