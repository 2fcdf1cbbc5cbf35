/**
 * Serving a Hono app of the cell over HTTPS (TLS 1.2+ via Deno's rustls), behind the
 * connection guard (https_guard.ts): connection caps, handshake/header/idle timeouts, and
 * routing on the request target only.
 */
import { type ConnectionLimits, type GuardedServer, serveGuarded } from "./https_guard.ts";

/** Anything with Hono's `fetch(request, env)` (a Hono app). */
export interface FetchApp {
  fetch(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response | Promise<Response>;
}

/** Options for {@linkcode serveHttps}. */
export interface ServeHttpsOptions {
  /** Server certificate chain, PEM. */
  certPem: string;
  /** Server private key, PEM. */
  keyPem: string;
  /** Listen address; default 0.0.0.0. */
  hostname?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Connection caps and timeouts; see {@linkcode ConnectionLimits} for the defaults. */
  limits?: ConnectionLimits;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
  /** Called once listening (the default prints nothing). */
  onListen?: (addr: Deno.NetAddr) => void;
  /** See `onError` of serveGuarded (https_guard.ts); without it Deno prints errors raw. */
  onError?: (error: unknown) => void;
}

/**
 * Serves `app` over HTTPS. The connection info reaches handlers as `c.env` (its
 * `remoteAddr`, the real client's, keys the per-client rate limits).
 */
export function serveHttps(app: FetchApp, options: ServeHttpsOptions): GuardedServer {
  return serveGuarded((request, info) => app.fetch(request, info), {
    hostname: options.hostname ?? "0.0.0.0",
    port: options.port,
    certPem: options.certPem,
    keyPem: options.keyPem,
    limits: options.limits,
    signal: options.signal,
    onListen: options.onListen,
    onError: options.onError,
  });
}
