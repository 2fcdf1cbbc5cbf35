/**
 * The cell side of the proxy: Hono routes `/clusters/{name}/{api,apis,version,openapi}/...`
 * and the next hop `/clusters/{a}/clusters/{b}/...`. Each request is rate-limited and
 * authenticated (bearer token → TokenReview, see middleware.ts), authorized for the first
 * hop (SubjectAccessReview, verb `proxy` on `latticeclusters` named {name}), and only then
 * is its body read (under a size limit, counted as it streams in); it is stripped of
 * caller-sent Impersonate-* headers and handed to the transport; the answer streams back as
 * it comes, its head filtered to what the Kubernetes API sends (headers.ts).
 */
import { latticeMetrics } from "../metrics/mod.ts";
import { Hono } from "hono";
import { Buffer } from "node:buffer";
import { StatusError, statusErrorHandler } from "../cell/errors.ts";
import { requestTarget } from "../cell/host.ts";
import { RateLimiter, type RateLimiterOptions } from "../cell/webhook_rate_limit.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { KubernetesRequest } from "../proto/lattice/agent/v1/agent.ts";
import type { Authenticator, Authorizer } from "./auth.ts";
import { BodyBudget, limitedBodyStream, readLimitedBody } from "./body.ts";
import { INLINE_BODY_BYTES } from "./body_pump.ts";
import { filterResponseHeaders, isRelayableStatus } from "./headers.ts";
import { type Identity, identityHeaders } from "./identity.ts";
import type { NestedProxy } from "./executor.ts";
import { proxyAuth, type ProxyAuthEnv } from "./middleware.ts";
import { InvalidPathError, isStreamingRequest, parseProxyPath } from "./paths.ts";
import { ClusterUnavailableError, type ProxyTransport } from "./transport.ts";
import type { UpgradeAnswer } from "./upgrade.ts";
import { acceptUpgrade } from "./upgrade_cell.ts";

/** Options for {@linkcode proxyApp} and {@linkcode nestedProxy}. */
export interface ProxyOptions {
  /** Carries requests to children. */
  transport: ProxyTransport;
  /** Decides whether a caller may reach a cluster; asked at every hop. */
  authorizer: Authorizer;
  /**
   * Whether a LatticeCluster of that name lives on this cell (exists, not being deleted).
   * A living cluster whose agent is not connected answers 503; a cluster that does not
   * live answers 404 even if a stream of its is still open. Absent: the transport decides.
   */
  clusterExists?: (cluster: string) => Promise<boolean>;
  /**
   * Largest request body accepted; default 4 MiB (the apiserver's own limit is 3 MiB). Bodies
   * above 64 KiB, or of unknown length, stream to the child in chunks and are never held
   * whole; smaller ones travel inside the request message.
   */
  maxBodyBytes?: number;
  /** Bytes of request bodies held at once by all requests; default a 32 MiB budget. */
  bodyBudget?: BodyBudget;
  /** Time a caller has to send its whole body; default 60 s. */
  bodyTimeoutMs?: number;
  logger?: Logger;
}

/** Options for {@linkcode proxyApp}. */
export interface ProxyAppOptions extends ProxyOptions {
  /** Checks bearer tokens. */
  authenticator: Authenticator;
  /** Per-client request rate; `false` disables. Default bursts of 400, 100/s sustained. */
  rateLimit?: RateLimiterOptions | false;
  /** Per-client rate of invalid tokens; `false` disables. Default 20 at once, 1/s. */
  authFailureLimit?: RateLimiterOptions | false;
  /**
   * Per-user request rate, counted once the caller is authenticated (so one user on many
   * addresses is one budget); `false` disables. Default bursts of 400, 100/s per user.
   */
  userRateLimit?: RateLimiterOptions | false;
}

/** One request as the cell receives it, before routing. */
interface Incoming {
  method: string;
  /** Raw (percent-encoded) path and query. */
  pathWithQuery: string;
  headers: Record<string, string>;
  /** Reads the body, taking its bytes from `budget`; called only once authorized. */
  body: (budget: BodyBudget) => Promise<Uint8Array>;
  /**
   * The body as a limited stream, for bodies too large (or of unknown size) to travel inside
   * the request message; undefined when `body` should be read whole. Called only once
   * authorized.
   */
  bodyStream: (budget: BodyBudget) => ReadableStream<Uint8Array> | undefined;
  signal: AbortSignal;
  /** A WebSocket upgrade: turns the child's answer into the caller's response. */
  upgrade?: (answer: UpgradeAnswer) => Response;
}

// Caller headers the child may see; Authorization and Impersonate-* never cross.
const FORWARDED_HEADERS = [
  "accept",
  "content-type",
  "kubectl-command",
  "kubectl-session",
  "sec-websocket-protocol",
];

/** Whether a request asks for a WebSocket upgrade (exec, attach, port-forward). */
function isWebSocketUpgrade(headers: Headers): boolean {
  return headers.get("upgrade")?.toLowerCase() === "websocket" &&
    /\bupgrade\b/i.test(headers.get("connection") ?? "");
}
const NO_BODY_STATUSES = new Set([204, 205, 304]);

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

async function clusterState(options: ProxyOptions, cluster: string) {
  const state = options.transport.state(cluster);
  if (!options.clusterExists) return state;
  const exists = await options.clusterExists(cluster).catch((cause) => {
    throw new StatusError(503, "Cannot proxy: the cell cannot read its clusters", { cause });
  });
  if (!exists) return "unknown";
  return state === "unknown" ? "disconnected" : state;
}

async function forward(
  options: ProxyOptions,
  budget: BodyBudget,
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
  const state = await clusterState(options, cluster);
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
  // Read only now: an unauthenticated or unauthorized caller never gets a byte buffered.
  // A large body (or one of unknown size) is never buffered at all: it streams to the child
  // chunk by chunk behind the request, counted against the limit as it goes.
  const stream = incoming.bodyStream(budget);
  const body = stream ? new Uint8Array() : await incoming.body(budget);
  const request: KubernetesRequest = {
    requestId: "",
    method: incoming.method,
    path: rest + query,
    headers,
    body: Buffer.from(body.buffer, body.byteOffset, body.length),
    watch: isStreamingRequest(rest + query),
    bodyFollows: !!stream,
    upgrade: false,
  };
  options.logger?.debug("Proxying", { cluster, method: request.method, path: rest });
  if (incoming.upgrade) {
    if (!options.transport.openUpgrade) {
      throw new StatusError(501, "Cannot proxy: this transport does not relay upgrades");
    }
    const answer = await options.transport.openUpgrade(
      cluster,
      { ...request, upgrade: true },
      { signal: incoming.signal },
    );
    return incoming.upgrade(answer);
  }
  let opening: Promise<Awaited<ReturnType<ProxyTransport["open"]>>>;
  try {
    opening = options.transport.open(cluster, request, { signal: incoming.signal, body: stream });
  } finally {
    // The transport has written (copied) the request: its bytes are no longer held here.
    budget.give(body.length);
  }
  const proxied = await opening.catch((error) => {
    if (stream && !stream.locked) stream.cancel().catch(() => {});
    throw error;
  });
  if (!isRelayableStatus(proxied.status)) {
    await proxied.body.cancel().catch(() => {});
    throw new StatusError(
      502,
      `Cannot proxy: the cluster answered status ${proxied.status}, not a final answer`,
    );
  }
  const responseHeaders = new Headers(filterResponseHeaders(proxied.headers));
  if (incoming.method === "HEAD" || NO_BODY_STATUSES.has(proxied.status)) {
    await proxied.body.cancel().catch(() => {});
    return new Response(null, { status: proxied.status, headers: responseHeaders });
  }
  return new Response(proxied.body, { status: proxied.status, headers: responseHeaders });
}

/** A child's refusal of an upgrade, relayed as an ordinary answer. */
function refusal(answer: UpgradeAnswer): Response {
  const status = isRelayableStatus(answer.status) ? answer.status : 502;
  return new Response(answer.body.length > 0 ? answer.body.slice() : null, {
    status,
    headers: filterResponseHeaders(answer.headers),
  });
}

function statusAsResponse(error: StatusError): Response {
  return new Response(JSON.stringify(error.toStatus()), {
    status: error.code,
    headers: { "content-type": "application/json", ...error.headers },
  });
}

/**
 * The cell's proxy routes. Mount the returned app at the root of the cell's HTTPS server
 * (its routes begin with `/clusters/`).
 */
export function proxyApp(options: ProxyAppOptions): Hono<ProxyAuthEnv> {
  const log = options.logger ?? silentLogger;
  const limit = options.maxBodyBytes ?? 4 << 20;
  const budget = options.bodyBudget ?? new BodyBudget();
  const app = new Hono<ProxyAuthEnv>();
  app.onError(statusErrorHandler({ logger: log }));
  // Every request, refused ones too: count by code, latency until the response headers.
  app.use("/clusters/*", async (c, next) => {
    const started = performance.now();
    await next();
    const method = c.req.method;
    latticeMetrics.proxyRequests.inc({ code: String(c.res.status), method });
    latticeMetrics.proxyLatency.observe({ method }, (performance.now() - started) / 1000);
  });
  app.use(
    "/clusters/*",
    proxyAuth({
      authenticator: options.authenticator,
      rateLimit: options.rateLimit,
      authFailureLimit: options.authFailureLimit,
      logger: log,
    }),
  );
  const perUser = options.userRateLimit === false
    ? undefined
    : new RateLimiter(options.userRateLimit ?? { burst: 400, perMinute: 6_000 });
  app.use("/clusters/*", async (c, next) => {
    const user = c.var.identity.user;
    const decision = perUser?.take(user);
    if (decision && !decision.allowed) {
      throw new StatusError(429, `Cannot accept request: too many requests from user "${user}"`, {
        details: { retryAfterSeconds: decision.retryAfterSeconds },
      });
    }
    await next();
  });
  app.all("/clusters/*", async (c) => {
    const raw = c.req.raw;
    // Routed on the request target alone; a Host that is not a host is refused (400).
    const pathWithQuery = requestTarget(raw);
    const identity = c.var.identity;
    const headers: Record<string, string> = {};
    raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    try {
      return await forward(options, budget, identity, {
        method: raw.method,
        pathWithQuery,
        headers,
        body: (budget) => readLimitedBody(raw, { limit, budget, timeoutMs: options.bodyTimeoutMs }),
        bodyStream: (budget) => {
          const declared = raw.headers.get("content-length");
          const bodiless = raw.method === "GET" || raw.method === "HEAD";
          if (
            !raw.body || bodiless || (declared !== null && Number(declared) <= INLINE_BODY_BYTES)
          ) {
            return undefined;
          }
          if (!(Number(declared ?? "0") <= limit)) {
            throw new StatusError(413, `Cannot proxy: the body exceeds ${limit} bytes`);
          }
          return limitedBodyStream(raw.body, { limit, budget, timeoutMs: options.bodyTimeoutMs });
        },
        signal: raw.signal,
        upgrade: isWebSocketUpgrade(raw.headers)
          ? (answer) =>
            answer.status === 101 && answer.relay
              ? acceptUpgrade(raw, answer, c.env?.holdClient)
              : refusal(answer)
          : undefined,
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
  const budget = options.bodyBudget ?? new BodyBudget();
  const limit = options.maxBodyBytes ?? 4 << 20;
  const noBody = () => Promise.resolve(new Uint8Array());
  const upgrade = async (
    identity: Identity,
    request: KubernetesRequest,
    signal: AbortSignal,
  ): Promise<UpgradeAnswer> => {
    let got: UpgradeAnswer | undefined;
    try {
      await forward(options, budget, identity, {
        method: request.method,
        pathWithQuery: request.path,
        headers: request.headers,
        body: noBody,
        bodyStream: () => undefined,
        signal,
        upgrade: (answer) => {
          got = answer;
          return new Response(null);
        },
      });
    } catch (error) {
      const status = toStatusError(error);
      return {
        status: status.code,
        headers: { "content-type": "application/json" },
        body: new TextEncoder().encode(JSON.stringify(status.toStatus())),
        attach: () => {},
      };
    }
    return got!;
  };
  const handler = async (
    identity: Identity,
    request: KubernetesRequest,
    signal: AbortSignal,
    streamed?: ReadableStream<Uint8Array>,
  ) => {
    try {
      return await forward(options, budget, identity, {
        method: request.method,
        pathWithQuery: request.path,
        headers: request.headers,
        // Already in memory (it came in one stream message, bounded by the parent's limit).
        body: (budget) =>
          budget.take(request.body.length)
            ? Promise.resolve(new Uint8Array(request.body))
            : Promise.reject(
              new StatusError(503, "Cannot proxy: too many request bodies in flight; retry", {
                details: { retryAfterSeconds: 1 },
              }),
            ),
        bodyStream: (budget) =>
          streamed
            ? limitedBodyStream(streamed, { limit, budget, timeoutMs: options.bodyTimeoutMs })
            : undefined,
        signal,
      });
    } catch (error) {
      return statusAsResponse(toStatusError(error));
    }
  };
  return Object.assign(handler, { upgrade });
}
