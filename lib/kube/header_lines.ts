/**
 * Requests whose headers repeat a name on separate lines. `fetch` cannot send them: its
 * `Headers` joins repeated names into one comma-separated line, and the apiserver reads
 * each `Impersonate-Group` LINE as one group — so a caller in three groups would arrive as
 * one group "a, b, c" and match none of its bindings. node:https writes each pair of an
 * array as its own line; this module wraps it in fetch's shape (a `Response` whose body
 * streams, an AbortSignal that ends the request and its body).
 */
import { systemClock } from "../runtime/clock.ts";
import { Buffer } from "node:buffer";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";

/** TLS material of the server and client, as a KubeClient holds it. */
export interface HeaderLinesTls {
  caPem?: string;
  certPem?: string;
  keyPem?: string;
}

/** One request with its headers as ordered pairs (a name may repeat). */
export interface HeaderLinesRequest {
  url: URL;
  method: string;
  headers: [string, string][];
  body?: string | Uint8Array | ReadableStream<Uint8Array>;
  signal?: AbortSignal;
  /** Abort if the response head has not arrived after this long. */
  timeoutMs?: number;
}

/** Names (lowercased) that more than one pair carries: fetch would merge their lines. */
export function repeatedHeaderNames(headers: [string, string][]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const [name] of headers) {
    const lower = name.toLowerCase();
    if (seen.has(lower)) repeated.add(lower);
    seen.add(lower);
  }
  return repeated;
}

/** A keep-alive connection pool for {@linkcode requestWithHeaderLines}; `destroy()` it. */
export function headerLinesAgent(tls: HeaderLinesTls): https.Agent {
  return new https.Agent({
    keepAlive: true,
    ca: tls.caPem ? [...rootCertificates, tls.caPem] : undefined,
    cert: tls.certPem,
    key: tls.keyPem,
  });
}

function bodyStream(res: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      res.on("data", (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        if ((controller.desiredSize ?? 1) <= 0) res.pause();
      });
      res.on("end", () => {
        try {
          controller.close();
        } catch { /* cancelled */ }
      });
      res.on("error", (error: Error) => {
        try {
          controller.error(error);
        } catch { /* cancelled */ }
      });
    },
    pull() {
      res.resume();
    },
    cancel() {
      res.destroy();
    },
  }, { highWaterMark: 16 });
}

/** Sends `request` with one header line per pair and resolves with its response head. */
export function requestWithHeaderLines(
  agent: https.Agent,
  request: HeaderLinesRequest,
): Promise<Response> {
  const { url, signal } = request;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of request.headers) {
    const lower = name.toLowerCase();
    const known = headers[lower];
    if (known === undefined) headers[lower] = value;
    else headers[lower] = Array.isArray(known) ? [...known, value] : [known, value];
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise<Response>((resolve, reject) => {
    const req = https.request({
      agent,
      host: hostname,
      port: url.port || 443,
      path: url.pathname + url.search,
      method: request.method,
      headers,
      // Deno's node:tls refuses an IP as server name; the certificate is still verified.
      servername: isIP(hostname) ? undefined : hostname,
    });
    const onAbort = () => req.destroy(signal?.reason ?? new Error("aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = request.timeoutMs === undefined ? undefined : systemClock.setTimeout(() => {
      req.destroy(new Error(`Cannot ${request.method} ${url.pathname}: timed out`));
    }, request.timeoutMs);
    const clearTimer = () => timer !== undefined && systemClock.clearTimeout(timer);
    req.on("error", (error) => {
      clearTimer();
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    req.on("response", (res: IncomingMessage) => {
      clearTimer();
      res.on("close", () => signal?.removeEventListener("abort", onAbort));
      const head = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        head.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
      }
      const status = res.statusCode ?? 502;
      const empty = request.method === "HEAD" || status === 204 || status === 304;
      try {
        if (empty) res.resume();
        resolve(new Response(empty ? null : bodyStream(res), { status, headers: head }));
      } catch (error) {
        res.destroy();
        reject(error);
      }
    });
    const body = request.body;
    if (body instanceof ReadableStream) {
      (async () => {
        for await (const chunk of body) req.write(chunk);
        req.end();
      })().catch((error) => req.destroy(error));
    } else {
      req.end(body === undefined ? undefined : typeof body === "string" ? body : Buffer.from(body));
    }
  });
}
