/**
 * HTTP errors of the cell's servers (bootstrap webhook, API proxy) as Kubernetes `Status`
 * bodies, so kubectl and the Lattice clients read them like any apiserver error. Handlers
 * throw {@linkcode StatusError}; {@linkcode statusErrorHandler} is the one `app.onError`.
 */
import type { Context, ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "../log/mod.ts";

/** The reasons Lattice servers answer with, by HTTP status (metav1.StatusReason). */
export const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  408: "Timeout",
  409: "Conflict",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  502: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** A Kubernetes `Status` object (failure form). */
export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: string;
  code: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { field?: string; message: string; reason?: string }[];
    retryAfterSeconds?: number;
  };
}

/** Options for {@linkcode StatusError}. */
export interface StatusErrorOptions {
  /** Status reason; derived from the code when absent. */
  reason?: string;
  /** `details` of the Status body. */
  details?: KubeStatus["details"];
  /** Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An HTTP failure answered as a Kubernetes `Status` with `code`. */
export class StatusError extends Error {
  /** HTTP status code. */
  readonly code: ContentfulStatusCode;
  /** Status reason, e.g. `Unauthorized`. */
  readonly reason: string;
  /** Status details. */
  readonly details?: KubeStatus["details"];
  /** Extra response headers. */
  readonly headers: Record<string, string>;

  constructor(code: ContentfulStatusCode, message: string, options: StatusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StatusError";
    this.code = code;
    this.reason = options.reason ?? STATUS_REASONS[code] ?? "Unknown";
    this.details = options.details;
    this.headers = options.headers ?? {};
    if (options.details?.retryAfterSeconds !== undefined && !this.headers["Retry-After"]) {
      this.headers["Retry-After"] = String(options.details.retryAfterSeconds);
    }
  }

  /** The `Status` body. */
  toStatus(): KubeStatus {
    return statusBody(this.code, this.message, { reason: this.reason, details: this.details });
  }
}

/** Builds a failure `Status` body. */
export function statusBody(
  code: number,
  message: string,
  options: { reason?: string; details?: KubeStatus["details"] } = {},
): KubeStatus {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: options.reason ?? STATUS_REASONS[code] ?? "Unknown",
    code,
    ...(options.details ? { details: options.details } : {}),
  };
}

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
