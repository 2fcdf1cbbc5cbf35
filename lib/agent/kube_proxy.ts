/**
 * The agent's half of the Kubernetes API proxy: runs each KubernetesRequest against the
 * child's own API server and streams the answer back in bounded chunks. Requests run
 * concurrently (the dispatcher does not queue them), so a long watch never holds up others;
 * KubernetesCancel aborts one by id.
 */
import { Buffer } from "node:buffer";
import type { KubeClient } from "../kube/mod.ts";
import type { KubernetesRequest } from "../proto/lattice/agent/v1/agent.ts";
import type { CommandContext, CommandHandlers } from "./handlers.ts";

/** Options for {@linkcode kubeProxyHandlers}. */
export interface KubeProxyOptions {
  /** Largest body chunk per KubernetesResponse; default 256 KiB. */
  chunkBytes?: number;
}

/** Response headers worth relaying (the rest describe the hop, not the content). */
const RELAYED = ["content-type", "audit-id", "warning", "retry-after"];

/** Handlers for `k8sRequest` and `k8sCancel` backed by `client`. */
export function kubeProxyHandlers(
  client: KubeClient,
  options: KubeProxyOptions = {},
): Pick<CommandHandlers, "k8sRequest" | "k8sCancel"> {
  const inFlight = new Map<string, AbortController>();
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  return {
    k8sRequest: async (request, ctx) => {
      const abort = new AbortController();
      inFlight.set(request.requestId, abort);
      const signal = AbortSignal.any([abort.signal, ctx.signal]);
      try {
        await relay(client, request, ctx, { signal, chunkBytes });
      } finally {
        inFlight.delete(request.requestId);
      }
    },
    k8sCancel: (cancel) => {
      inFlight.get(cancel.requestId)?.abort();
    },
  };
}

async function relay(
  client: KubeClient,
  request: KubernetesRequest,
  ctx: CommandContext,
  opts: { signal: AbortSignal; chunkBytes: number },
): Promise<void> {
  const send = (status: number, headers: Record<string, string>, body: Uint8Array, end: boolean) =>
    ctx.send({
      $case: "k8sResponse",
      value: {
        requestId: request.requestId,
        status,
        headers,
        body: Buffer.from(body),
        endOfStream: end,
      },
    });
  let response: Response;
  try {
    response = await client.fetchRaw({
      method: request.method,
      path: request.path,
      headers: request.headers,
      body: request.body.length > 0 ? new Uint8Array(request.body) : undefined,
      contentType: request.headers["content-type"] ?? request.headers["Content-Type"],
      signal: opts.signal,
    });
  } catch (error) {
    const text = opts.signal.aborted
      ? "request cancelled"
      : `Cannot reach the cluster's API server: ${(error as Error).message}`;
    send(opts.signal.aborted ? 499 : 502, { "content-type": "text/plain" }, encode(text), true);
    return;
  }
  const headers: Record<string, string> = {};
  for (const name of RELAYED) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  let first = true;
  let pending: Uint8Array[] = [];
  let size = 0;
  const flush = (end: boolean) => {
    const body = pending.length === 1 ? pending[0] : concat(pending, size);
    send(response.status, first ? headers : {}, body, end);
    first = false;
    pending = [];
    size = 0;
  };
  try {
    for await (const part of response.body ?? []) {
      for (let at = 0; at < part.length; at += opts.chunkBytes) {
        const slice = part.subarray(at, at + opts.chunkBytes);
        pending.push(slice);
        size += slice.length;
        // Watches: every event goes out as soon as it arrives, not when a chunk fills.
        if (request.watch || size >= opts.chunkBytes) flush(false);
      }
    }
  } catch (error) {
    if (!opts.signal.aborted) ctx.logger.warn("Proxied response broke off", { error });
  }
  flush(true);
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
