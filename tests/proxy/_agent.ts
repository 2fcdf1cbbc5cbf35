/**
 * A scripted agent side for unit tests of the cell side: it records requests and cancels
 * and answers as each test tells it (the real executor is tested against real apiservers).
 */
import { Buffer } from "node:buffer";
import type {
  KubernetesRequest,
  KubernetesRequestBody,
  KubernetesResponse,
} from "../../lib/proto/lattice/agent/v1/agent.ts";
import type { RequestExecutor } from "../../lib/proxy/mod.ts";

/** One frame, with defaults. */
export function frame(
  requestId: string,
  fields: Partial<Omit<KubernetesResponse, "requestId" | "body">> & { body?: string } = {},
): KubernetesResponse {
  return {
    requestId,
    status: fields.status ?? 0,
    headers: fields.headers ?? {},
    body: Buffer.from(fields.body ?? ""),
    endOfStream: fields.endOfStream ?? false,
  };
}

/**
 * Records requests once their body is complete (a streamed body is gathered from its
 * chunks first); answers with `answer` when set.
 */
export class ScriptedAgent implements RequestExecutor {
  readonly requests: KubernetesRequest[] = [];
  /** Every request started, its body complete or not. */
  readonly started: KubernetesRequest[] = [];
  readonly cancelled: string[] = [];
  /** Sizes of the streamed body chunks received, in order. */
  readonly chunks: number[] = [];
  readonly senders = new Map<string, (frame: KubernetesResponse) => void>();
  readonly #bodies = new Map<string, { request: KubernetesRequest; parts: Uint8Array[] }>();
  answer?: (request: KubernetesRequest, send: (frame: KubernetesResponse) => void) => void;

  execute(request: KubernetesRequest, send: (frame: KubernetesResponse) => void): void {
    this.started.push(request);
    this.senders.set(request.requestId, send);
    if (request.bodyFollows) this.#bodies.set(request.requestId, { request, parts: [] });
    else this.#complete(request);
  }

  body(chunk: KubernetesRequestBody): void {
    const entry = this.#bodies.get(chunk.requestId);
    if (!entry) return;
    this.chunks.push(chunk.data.length);
    entry.parts.push(new Uint8Array(chunk.data));
    if (!chunk.endOfBody) return;
    this.#bodies.delete(chunk.requestId);
    this.#complete({ ...entry.request, body: Buffer.concat(entry.parts) });
  }

  cancel(requestId: string): void {
    this.cancelled.push(requestId);
    this.#bodies.delete(requestId);
  }

  #complete(request: KubernetesRequest): void {
    this.requests.push(request);
    this.answer?.(request, this.senders.get(request.requestId)!);
  }
}

/** Answers every request 200 with a JSON echo of method, path and headers. */
export function echo(request: KubernetesRequest, send: (frame: KubernetesResponse) => void) {
  const body = JSON.stringify({
    method: request.method,
    path: request.path,
    headers: request.headers,
    body: new TextDecoder().decode(request.body),
    watch: request.watch,
  });
  send(frame(request.requestId, {
    status: 200,
    headers: { "content-type": "application/json" },
    body,
    endOfStream: true,
  }));
}
