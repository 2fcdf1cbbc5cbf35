/**
 * The cell side of the proxy: Hono routes `/clusters/{name}/{api,apis,version,openapi}/...`
 * and the next hop `/clusters/{a}/clusters/{b}/...`. Each request is authenticated
 * (bearer token → TokenReview), authorized for the first hop (SubjectAccessReview, verb
 * `proxy` on `latticeclusters` named {name}), stripped of caller-sent Impersonate-* headers
 * and handed to the transport; the answer streams back as it comes.
 */
import { Hono } from "hono";
import { Buffer } from "node:buffer";
import { StatusError, statusErrorHandler } from "../cell/errors.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { KubernetesRequest } from "../proto/lattice/agent/v1/agent.ts";
import type { Authenticator, Authorizer } from "./auth.ts";
import { type Identity, identityHeaders } from "./identity.ts";
import type { NestedProxy } from "./executor.ts";
import { InvalidPathError, isStreamingRequest, parseProxyPath } from "./paths.ts";
import { ClusterUnavailableError, type ProxyTransport } from "./transport.ts";

/** Options for {@linkcode proxyApp} and {@linkcode nestedProxy}. */
export interface ProxyOptions {
  /** Carries requests to children. */
  transport: ProxyTransport;
  /** Decides whether a caller may reach a cluster; asked at every hop. */
  authorizer: Authorizer;
  /**
   * Largest request body accepted; default 4 MiB (the apiserver's own limit is 3 MiB, and a
   * request must fit in one stream message).
   */
  maxBodyBytes?: number;
  logger?: Logger;
}

/** Options for {@linkcode proxyApp}. */
export interface ProxyAppOptions extends ProxyOptions {
  /** Checks bearer tokens. */
  authenticator: Authenticator;
}

/** One request as the cell receives it, before routing. */
interface Incoming {
  method: string;
  /** Raw (percent-encoded) path and query. */
  pathWithQuery: string;
  headers: Record<string, string>;
  body: Uint8Array;
  signal: AbortSignal;
}

// Caller headers the child may see; Authorization and Impersonate-* never cross.
const FORWARDED_HEADERS = ["accept", "content-type", "kubectl-command", "kubectl-session"];
const NO_BODY_STATUSES = new Set([101, 204, 205, 304]);

function toStatusError(error: unknown): StatusError {
  if (error instanceof StatusError) return error;
  if (error instanceof InvalidPathError) return new StatusError(error.code, error.message);
  if (error instanceof ClusterUnavailableError) {
    return error.state === "unknown"
      ? new StatusError(404, error.message, { details: { kind: "latticeclusters" } })
      : new StatusError(503, error.message, { details: { retryAfterSeconds: 5 } });
  }
  return new StatusError(502, "Cannot proxy: the cluster did not answer", { cause: error });
}

async function forward(
  options: ProxyOptions,
  identity: Identity,
  incoming: Incoming,
): Promise<Response> {
  const queryAt = incoming.pathWithQuery.indexOf("?");
  const path = queryAt < 0 ? incoming.pathWithQuery : incoming.pathWithQuery.slice(0, queryAt);
  const query = queryAt < 0 ? "" : incoming.pathWithQuery.slice(queryAt);
  const { cluster, rest } = parseProxyPath(path);
  const decision = await options.authorizer.authorize(identity, cluster).catch((cause) => {
    throw new StatusError(503, "Cannot authorize: the access review failed", { cause });
  });
  if (!decision.allowed) {
    throw new StatusError(
      403,
      `Cannot proxy: user "${identity.user}" may not proxy to latticeclusters "${cluster}"` +
        (decision.reason ? `: ${decision.reason}` : ""),
      { details: { name: cluster, kind: "latticeclusters" } },
    );
  }
  const state = options.transport.state(cluster);
  if (state !== "connected") {
    throw toStatusError(
      new ClusterUnavailableError(
        state === "unknown"
          ? `Cannot proxy: cluster ${cluster} is unknown`
          : `Cannot proxy: cluster ${cluster} is not connected`,
        state,
      ),
    );
  }
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    if (incoming.headers[name]) headers[name] = incoming.headers[name];
  }
  Object.assign(headers, identityHeaders(identity));
  const request: KubernetesRequest = {
    requestId: "",
    method: incoming.method,
    path: rest + query,
    headers,
    body: Buffer.from(incoming.body),
    watch: isStreamingRequest(rest + query),
  };
  options.logger?.debug("Proxying", { cluster, method: request.method, path: rest });
  const proxied = await options.transport.open(cluster, request, { signal: incoming.signal });
  const responseHeaders = new Headers(proxied.headers);
  if (incoming.method === "HEAD" || NO_BODY_STATUSES.has(proxied.status)) {
    await proxied.body.cancel().catch(() => {});
    return new Response(null, { status: proxied.status, headers: responseHeaders });
  }
  return new Response(proxied.body, { status: proxied.status, headers: responseHeaders });
}

function statusAsResponse(error: StatusError): Response {
  return new Response(JSON.stringify(error.toStatus()), {
    status: error.code,
    headers: { "content-type": "application/json", ...error.headers },
  });
}

async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const tooLarge = () => new StatusError(413, `Cannot proxy: the body exceeds ${limit} bytes`);
  if (declared > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.length > limit) throw tooLarge();
  return body;
}

/**
 * The path and query exactly as sent. `new URL()` would resolve `..` and `%2e%2e` segments,
 * silently turning an abusive path into another one; the raw form is validated instead.
 */
function rawPathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start < 0) return "/";
  const hash = url.indexOf("#", start);
  return hash < 0 ? url.slice(start) : url.slice(start, hash);
}

function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * The cell's proxy routes. Mount the returned app at the root of the cell's HTTPS server
 * (its routes begin with `/clusters/`).
 */
export function proxyApp(options: ProxyAppOptions): Hono {
  const log = options.logger ?? silentLogger;
  const limit = options.maxBodyBytes ?? 4 << 20;
  const app = new Hono();
  app.onError(statusErrorHandler({ logger: log }));
  app.all("/clusters/*", async (c) => {
    const raw = c.req.raw;
    const pathWithQuery = rawPathOf(raw.url);
    const token = bearerToken(raw);
    if (!token) {
      throw new StatusError(401, "Unauthorized: a bearer token is required", {
        headers: { "WWW-Authenticate": 'Bearer realm="lattice"' },
      });
    }
    const identity = await options.authenticator.authenticate(token).catch((cause) => {
      log.warn("Cannot authenticate proxy caller", { error: cause });
      throw new StatusError(503, "Cannot authenticate: the token review failed", { cause });
    });
    if (!identity) throw new StatusError(401, "Unauthorized: the token is not valid");
    const headers: Record<string, string> = {};
    raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    try {
      return await forward(options, identity, {
        method: raw.method,
        pathWithQuery,
        headers,
        body: await readBody(raw, limit),
        signal: raw.signal,
      });
    } catch (error) {
      const status = toStatusError(error);
      // 503 is a state, not a fault; a client that left is not one either.
      if (status.code >= 500 && status.code !== 503 && !raw.signal.aborted) {
        log.warn("Proxy request failed", {
          error,
          cause: String((error as Error).cause ?? ""),
          path: pathWithQuery,
        });
      }
      throw status;
    }
  });
  return app;
}

/**
 * The next hop on a child that is a cell itself: requests for `/clusters/{b}/...` that the
 * agent received, already authenticated by the parent (`identity` carries its prefix), are
 * authorized again here and forwarded to this cell's own child `b`. Give it to the child's
 * {@linkcode ProxyExecutor} as `nested`.
 */
export function nestedProxy(options: ProxyOptions): NestedProxy {
  return async (identity, request, signal) => {
    try {
      return await forward(options, identity, {
        method: request.method,
        pathWithQuery: request.path,
        headers: request.headers,
        body: new Uint8Array(request.body),
        signal,
      });
    } catch (error) {
      return statusAsResponse(toStatusError(error));
    }
  };
}
