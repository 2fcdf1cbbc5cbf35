/**
 * The seam between the cell's proxy routes and whatever carries a request to a child: "open
 * a proxied request to cluster X and get its response as a stream of frames, with cancel".
 *
 * Frames are the proto's KubernetesResponse (status and headers on the first, body chunks,
 * `endOfStream` on the last), so the in-process transport used by tests and the agent-stream
 * bridge share one reassembly path ({@linkcode ResponseAssembler}).
 */
import { Buffer } from "node:buffer";
import type {
  KubernetesRequest,
  KubernetesRequestBody,
  KubernetesResponse,
} from "../proto/lattice/agent/v1/agent.ts";
import { pumpBody } from "./body_pump.ts";

/** What the cell knows of a cluster's reachability. */
export type ClusterState = "connected" | "disconnected" | "unknown";

/** The answer to a proxied request, once its first frame arrived. */
export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  /** Body chunks in order; cancelling it cancels the request on the child. */
  body: ReadableStream<Uint8Array>;
}

/** Options for {@linkcode ProxyTransport.open}. */
export interface OpenOptions {
  /** Aborting cancels the request on the child (the client went away). */
  signal?: AbortSignal;
  /**
   * The request's body, streamed to the child after the request (`bodyFollows`) instead of
   * inside it. An error of this stream (e.g. a 413 from a limited body) cancels the request
   * on the child and rejects the open (or errors the response body) with that error.
   */
  body?: ReadableStream<Uint8Array>;
}

/** Carries proxied requests to child clusters. */
export interface ProxyTransport {
  /** Whether `cluster` is known and has a live connection. */
  state(cluster: string): ClusterState;
  /**
   * Sends `request` to `cluster` and resolves when the response head arrives. Rejects with
   * {@linkcode ClusterUnavailableError} when the cluster cannot be reached.
   */
  open(
    cluster: string,
    request: KubernetesRequest,
    options?: OpenOptions,
  ): Promise<ProxiedResponse>;
}

/** The cluster has no live connection (answered 503), or is not known (404). */
export class ClusterUnavailableError extends Error {
  /** Why the cluster cannot be reached. */
  readonly state: Exclude<ClusterState, "connected">;
  constructor(message: string, state: Exclude<ClusterState, "connected">, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClusterUnavailableError";
    this.state = state;
  }
}

/** Options for {@linkcode ResponseAssembler}. */
export interface ResponseAssemblerOptions {
  /**
   * Bytes buffered for a client that reads slower than the child writes, before the request
   * is cancelled. The buffer is per request, so one slow watch never stalls the stream that
   * carries the others (no head-of-line blocking); default 16 MiB.
   */
  maxBufferedBytes?: number;
  /** Called once when the consumer goes away or overflows; sends the cancel to the child. */
  onCancel(): void;
}

/**
 * Turns the frames of one request into a {@linkcode ProxiedResponse}. `push` never waits
 * for the consumer: whoever demultiplexes the shared stream must not block on one request.
 */
export class ResponseAssembler {
  /** Resolves with the response when the first frame arrives. */
  readonly response: Promise<ProxiedResponse>;
  #resolve!: (r: ProxiedResponse) => void;
  #reject!: (e: Error) => void;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #body: ReadableStream<Uint8Array>;
  #headSeen = false;
  #done = false;
  #onCancel: () => void;

  constructor(options: ResponseAssemblerOptions) {
    this.#onCancel = options.onCancel;
    this.response = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Not awaited by anyone until the head arrives; a failure before it must not be unhandled.
    this.response.catch(() => {});
    this.#body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        cancel: () => this.#cancel(),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: options.maxBufferedBytes ?? 16 << 20 }),
    );
  }

  /** Whether the last frame (or a failure) was seen. */
  get done(): boolean {
    return this.#done;
  }

  /** Feeds one frame; returns false when the request ended (by the frame or by overflow). */
  push(frame: KubernetesResponse): boolean {
    if (this.#done) return false;
    if (!this.#headSeen) {
      this.#headSeen = true;
      this.#resolve({ status: frame.status, headers: frame.headers, body: this.#body });
    }
    if (frame.body.length > 0) {
      this.#controller.enqueue(new Uint8Array(frame.body));
      if ((this.#controller.desiredSize ?? 0) < 0) {
        this.fail(new Error("Cannot relay response: the client reads too slowly"));
        this.#onCancel();
        return false;
      }
    }
    if (frame.endOfStream) {
      this.#done = true;
      this.#controller.close();
      return false;
    }
    return true;
  }

  /** Ends the request with an error (connection lost before or during the body). */
  fail(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#headSeen) this.#controller.error(error);
    else this.#reject(error);
  }

  /**
   * The client went away: nothing more is delivered and the child is told to stop. A body
   * already handed out is closed quietly (its reader is gone), not errored.
   */
  abort(): void {
    if (this.#done) return;
    if (this.#headSeen) {
      this.#done = true;
      try {
        this.#controller.close();
      } catch {
        // Already cancelled by the server.
      }
    } else this.fail(new Error("Cannot relay response: the client went away"));
    this.#onCancel();
  }

  #cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#onCancel();
  }
}

/** The agent side as the in-process transport needs it (see executor.ts). */
export interface RequestExecutor {
  /** Starts `request`; frames go to `send` until one has `endOfStream`. */
  execute(request: KubernetesRequest, send: (frame: KubernetesResponse) => void): void;
  /** Ends a running request; a final `endOfStream` frame follows. */
  cancel(requestId: string): void;
  /** Feeds a chunk of a request's streamed body (`bodyFollows`). */
  body?(chunk: KubernetesRequestBody): void;
}

/** Options for {@linkcode InProcessTransport}. */
export interface InProcessTransportOptions {
  /** See {@linkcode ResponseAssemblerOptions.maxBufferedBytes}. */
  maxBufferedBytes?: number;
}

/**
 * A transport wired straight to agent-side executors in the same process: the proxy
 * without gRPC, for tests and benchmarks. Frames are copied, as on a real wire.
 */
export class InProcessTransport implements ProxyTransport {
  readonly #executors = new Map<string, RequestExecutor | null>();
  readonly #options: InProcessTransportOptions;
  #nextId = 1;

  constructor(options: InProcessTransportOptions = {}) {
    this.#options = options;
  }

  /** Connects `cluster` to `executor`; `null` marks it known but disconnected. */
  set(cluster: string, executor: RequestExecutor | null): void {
    this.#executors.set(cluster, executor);
  }

  /** {@inheritDoc ProxyTransport.state} */
  state(cluster: string): ClusterState {
    if (!this.#executors.has(cluster)) return "unknown";
    return this.#executors.get(cluster) ? "connected" : "disconnected";
  }

  /** {@inheritDoc ProxyTransport.open} */
  open(
    cluster: string,
    request: KubernetesRequest,
    options: OpenOptions = {},
  ): Promise<ProxiedResponse> {
    const executor = this.#executors.get(cluster);
    if (!executor) {
      const state = this.state(cluster) as "unknown" | "disconnected";
      return Promise.reject(
        new ClusterUnavailableError(`Cannot reach cluster ${cluster}: ${state}`, state),
      );
    }
    const requestId = `${this.#nextId++}`;
    const assembler = new ResponseAssembler({
      maxBufferedBytes: this.#options.maxBufferedBytes,
      onCancel: () => executor.cancel(requestId),
    });
    const onAbort = () => assembler.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let open = true;
    executor.execute({ ...request, requestId, bodyFollows: !!options.body }, (frame) => {
      const copy = { ...frame, body: Buffer.from(frame.body) };
      if (!assembler.push(copy)) {
        open = false;
        options.signal?.removeEventListener("abort", onAbort);
      }
    });
    if (options.body) {
      pumpBody(requestId, options.body, {
        write: (chunk) => executor.body?.({ ...chunk, data: Buffer.from(chunk.data) }),
        open: () => open && !assembler.done,
      }).catch((error: Error) => {
        assembler.fail(error);
        executor.cancel(requestId);
      });
    }
    return assembler.response;
  }
}
