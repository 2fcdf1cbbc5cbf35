/**
 * HTTP errors of the cell's servers (bootstrap webhook, API proxy) as Kubernetes `Status`
 * bodies, so kubectl and the Lattice clients read them like any apiserver error. Handlers
 * throw {@linkcode StatusError} (the shared module lib/kube/status.ts, re-exported here);
 * {@linkcode statusErrorHandler} is the one `app.onError`.
 */
import type { Context, ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "../log/mod.ts";
import { StatusError } from "../kube/status.ts";

export {
  type KubeStatus,
  STATUS_REASONS,
  statusBody,
  StatusError,
  type StatusErrorOptions,
  statusOf,
} from "../kube/status.ts";

/** Answers `error` on `c` as a `Status` JSON response. */
export function statusResponse(c: Context, error: StatusError): Response {
  for (const [k, v] of Object.entries(error.headers)) c.header(k, v);
  return c.json(error.toStatus(), error.code);
}

/** Options for {@linkcode statusErrorHandler}. */
export interface StatusErrorHandlerOptions {
  /** Where unexpected errors are logged (their messages are not sent to the client). */
  logger?: Logger;
}

/**
 * The `app.onError` of every cell server: a {@linkcode StatusError} is answered as is;
 * Hono's own HTTP errors keep their status; anything else is a 500 whose detail stays in
 * the log so internals do not leak to callers.
 */
export function statusErrorHandler(options: StatusErrorHandlerOptions = {}): ErrorHandler {
  return (error, c) => {
    if (error instanceof StatusError) return statusResponse(c, error);
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 600 && "getResponse" in error) {
      return statusResponse(
        c,
        new StatusError(status as ContentfulStatusCode, error.message || "request failed"),
      );
    }
    options.logger?.error("Unhandled error in HTTP handler", {
      error,
      method: c.req.method,
      path: c.req.path,
    });
    return statusResponse(c, new StatusError(500, "Internal error"));
  };
}
