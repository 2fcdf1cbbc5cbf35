/**
 * The proxy's caller authentication as a Hono middleware, reusable by any route of the
 * cell's HTTPS server that acts for a Kubernetes user (the proxy, web pages): a per-client
 * rate limit, then the bearer token checked by an {@linkcode Authenticator}. Invalid tokens
 * also drain a stricter per-client bucket, so guessing tokens costs the cell's apiserver at
 * most a few TokenReviews a second per client. The identity is left in `c.var.identity`.
 */
import type { Context, MiddlewareHandler } from "hono";
import { StatusError } from "../cell/errors.ts";
import { RateLimiter, type RateLimiterOptions } from "../cell/webhook_rate_limit.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { Authenticator } from "./auth.ts";
import type { Identity } from "./identity.ts";

/** Hono environment of routes behind {@linkcode proxyAuth}. */
export interface ProxyAuthEnv {
  Bindings: {
    remoteAddr?: { hostname?: string };
    /** From the cell's guarded server: holds the client's bytes (upgraded connections). */
    holdClient?: (gate: () => Promise<void> | undefined) => void;
  };
  Variables: { identity: Identity };
}

/** Default per-client request rate: bursts of 400, 100 a second sustained. */
export const DEFAULT_PROXY_RATE: Readonly<RateLimiterOptions> = { burst: 400, perMinute: 6_000 };
/** Default per-client rate of failed authentications: 20 at once, 1 a second sustained. */
export const DEFAULT_AUTH_FAILURE_RATE: Readonly<RateLimiterOptions> = {
  burst: 20,
  perMinute: 60,
};

/** Options for {@linkcode proxyAuth}. */
export interface ProxyAuthOptions {
  /** Checks bearer tokens. */
  authenticator: Authenticator;
  /** Per-client request rate; `false` disables. Default {@linkcode DEFAULT_PROXY_RATE}. */
  rateLimit?: RateLimiterOptions | false;
  /**
   * Per-client rate of requests with a token that is not valid; once spent, the client is
   * answered 429 without a TokenReview. `false` disables. Default
   * {@linkcode DEFAULT_AUTH_FAILURE_RATE}.
   */
  authFailureLimit?: RateLimiterOptions | false;
  /** Key of the rate limits; default the peer address. */
  clientKey?: (c: Context<ProxyAuthEnv>) => string;
  logger?: Logger;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

function tooMany(retryAfterSeconds: number, what: string): StatusError {
  return new StatusError(429, `Cannot accept request: too many ${what} from this client`, {
    details: { retryAfterSeconds },
  });
}

/** The peer address Deno.serve (via serveHttps) passes as Hono's `env`. */
export function peerAddress(c: Context<ProxyAuthEnv>): string {
  return c.env?.remoteAddr?.hostname ?? "unknown";
}

/** Rate-limits and authenticates; refusals are Kubernetes Status errors (401, 429, 503). */
export function proxyAuth(options: ProxyAuthOptions): MiddlewareHandler<ProxyAuthEnv> {
  const log = options.logger ?? silentLogger;
  const clientKey = options.clientKey ?? peerAddress;
  const requests = options.rateLimit === false
    ? undefined
    : new RateLimiter(options.rateLimit ?? DEFAULT_PROXY_RATE);
  const failures = options.authFailureLimit === false
    ? undefined
    : new RateLimiter(options.authFailureLimit ?? DEFAULT_AUTH_FAILURE_RATE);
  return async (c, next) => {
    const client = clientKey(c);
    const rate = requests?.take(client);
    if (rate && !rate.allowed) throw tooMany(rate.retryAfterSeconds, "requests");
    const token = bearerToken(c.req.header("authorization"));
    if (!token) {
      throw new StatusError(401, "Unauthorized: a bearer token is required", {
        headers: { "WWW-Authenticate": 'Bearer realm="lattice"' },
      });
    }
    const blocked = failures?.peek(client);
    if (blocked && !blocked.allowed) {
      throw tooMany(blocked.retryAfterSeconds, "requests with a token that is not valid");
    }
    const identity = await options.authenticator.authenticate(token).catch((cause) => {
      log.warn("Cannot authenticate proxy caller", { error: cause });
      throw new StatusError(503, "Cannot authenticate: the token review failed", { cause });
    });
    if (!identity) {
      failures?.take(client);
      throw new StatusError(401, "Unauthorized: the token is not valid", {
        headers: { "WWW-Authenticate": 'Bearer realm="lattice"' },
      });
    }
    c.set("identity", identity);
    await next();
  };
}
