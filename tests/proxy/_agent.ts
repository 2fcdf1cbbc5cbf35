/**
 * A scripted agent side for unit tests of the cell side: it records requests and cancels
 * and answers as each test tells it (the real executor is tested against real apiservers).
 */
import { Buffer } from "node:buffer";
import type {
  KubernetesRequest,
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

/** Records requests; answers with `answer` when set. */
export class ScriptedAgent implements RequestExecutor {
  readonly requests: KubernetesRequest[] = [];
  readonly cancelled: string[] = [];
  readonly senders = new Map<string, (frame: KubernetesResponse) => void>();
  answer?: (request: KubernetesRequest, send: (frame: KubernetesResponse) => void) => void;

  execute(request: KubernetesRequest, send: (frame: KubernetesResponse) => void): void {
    this.requests.push(request);
    this.senders.set(request.requestId, send);
    this.answer?.(request, send);
  }

  cancel(requestId: string): void {
    this.cancelled.push(requestId);
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
