/**
 * Kubernetes `Status` errors, one module for both directions: what Lattice's servers
 * (bootstrap webhook, API proxy, fleet page, the cell's guards) answer — a
 * {@linkcode StatusError} rendered as a `Status` body — and the reason table the client's
 * ApiError (errors.ts) reads answers with. Hono's error handler lives in lib/cell/errors.ts.
 * See docs/adr/failure-model.md.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Status reasons by HTTP status (metav1.StatusReason), for both directions. */
export const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  408: "Timeout",
  409: "Conflict",
  410: "Expired",
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

/** Kubernetes `Status` fields of an error: a StatusError's or an ApiError's own. */
export function statusOf(error: unknown): { code: number; reason: string; message: string } {
  if (error instanceof StatusError) {
    return { code: error.code, reason: error.reason, message: error.message };
  }
  if (error instanceof Error && error.name === "ApiError") {
    const { status, reason } = error as Error & { status?: unknown; reason?: unknown };
    if (typeof status === "number") {
      const known = typeof reason === "string" ? reason : STATUS_REASONS[status];
      return { code: status, reason: known ?? "Unknown", message: error.message };
    }
  }
  return { code: 500, reason: "InternalError", message: "Internal error" };
}
