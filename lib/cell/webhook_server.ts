/** Serving a Hono app of the cell over HTTPS (TLS 1.2+ via Deno's rustls). */

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
  /** Stops the server when aborted. */
  signal?: AbortSignal;
  /** Called once listening (the default prints nothing). */
  onListen?: (addr: Deno.NetAddr) => void;
}

/**
 * Serves `app` over HTTPS. The connection info reaches handlers as `c.env` (its
 * `remoteAddr` keys the per-client rate limit).
 */
export function serveHttps(
  app: FetchApp,
  options: ServeHttpsOptions,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: options.hostname ?? "0.0.0.0",
    port: options.port,
    cert: options.certPem,
    key: options.keyPem,
    signal: options.signal,
    onListen: options.onListen ?? (() => {}),
  }, (request, info) => app.fetch(request, info));
}
