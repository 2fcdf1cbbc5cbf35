/**
 * Typed Kubernetes API errors: one class carrying the `Status` body's reason, field causes
 * and retry-after, and predicates so callers branch on meaning instead of HTTP codes.
 */
import { STATUS_REASONS } from "./status.ts";

/** One field-level cause of an `Invalid` (or other) failure. */
export interface StatusCause {
  /** The offending field path, e.g. `spec.replicas`; empty when not field-specific. */
  field: string;
  /** Human-readable explanation from the apiserver. */
  message: string;
  /** Machine-readable cause type, e.g. `FieldValueInvalid`. */
  reason?: string;
}

/** The shape of a `metav1.Status` body, as much of it as we read. */
export interface StatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { field?: string; message?: string; reason?: string }[];
    retryAfterSeconds?: number;
  };
}

/** Options for {@linkcode ApiError}. */
export interface ApiErrorOptions {
  /** Status reason, e.g. `NotFound`; derived from the status code when absent. */
  reason?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
  /** The request that failed, e.g. `GET /api/v1/namespaces/x/pods/y`. */
  request?: string;
  cause?: unknown;
}

/** A failed Kubernetes API call (a non-2xx answer, or an ERROR watch event). */
export class ApiError extends Error {
  /** HTTP status code (or the Status `code` of a watch ERROR event). */
  readonly status: number;
  /** The Status `reason` (`NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`, ...). */
  readonly reason: string;
  /** Field causes; filled for `Invalid`. */
  readonly causes: StatusCause[];
  /** Seconds the server asked us to wait (Retry-After or Status details). */
  readonly retryAfterSeconds?: number;
  /** The request that failed, for logs. */
  readonly request?: string;

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ApiError";
    this.status = status;
    this.reason = options.reason || STATUS_REASONS[status] || "Unknown";
    this.causes = options.causes ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.request = options.request;
  }

  /** Builds an error from a Status body (from a response or a watch ERROR event). */
  static fromStatus(status: StatusBody, options: { httpStatus?: number; request?: string } = {}) {
    const code = status.code ?? options.httpStatus ?? 500;
    const what = options.request ? `Cannot ${options.request}` : "Cannot complete request";
    const causes = (status.details?.causes ?? []).map((c) => ({
      field: c.field ?? "",
      message: c.message ?? "",
      reason: c.reason,
    }));
    return new ApiError(code, `${what}: ${status.message ?? status.reason ?? `HTTP ${code}`}`, {
      reason: status.reason,
      causes,
      retryAfterSeconds: status.details?.retryAfterSeconds,
      request: options.request,
    });
  }

  /** Builds an error from a non-2xx response, consuming its body. */
  static async fromResponse(response: Response, request: string): Promise<ApiError> {
    const text = await response.text().catch(() => "");
    let body: StatusBody = {};
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === "object") body = parsed as StatusBody;
    } catch {
      body = { message: text.trim().slice(0, 500) || response.statusText };
    }
    // The Retry-After header wins only when the Status body carries no hint of its own.
    const header = Number(response.headers.get("retry-after"));
    const details = body.details ?? {};
    if (details.retryAfterSeconds === undefined && Number.isFinite(header) && header > 0) {
      body = { ...body, details: { ...details, retryAfterSeconds: header } };
    }
    return ApiError.fromStatus({ ...body, code: response.status }, {
      httpStatus: response.status,
      request,
    });
  }
}

function hasReason(e: unknown, status: number, reason?: string): boolean {
  if (!(e instanceof ApiError)) return false;
  return e.status === status || (reason !== undefined && e.reason === reason);
}

/** The object does not exist (404). */
export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}
/** `read()`'s object, or undefined when it does not exist (404); other errors are thrown. */
export async function getOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
/** The object already exists (409 AlreadyExists). */
export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiError && e.reason === "AlreadyExists";
}
/** Optimistic-concurrency conflict (409 Conflict, not AlreadyExists). */
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409 && e.reason !== "AlreadyExists";
}
/** The resourceVersion is too old (410 Gone / Expired): relist. */
export function isGone(e: unknown): boolean {
  return hasReason(e, 410, "Expired") || hasReason(e, 410, "Gone");
}
/** The caller may not do this (403). */
export function isForbidden(e: unknown): boolean {
  return hasReason(e, 403, "Forbidden");
}
/** The caller is not authenticated (401). */
export function isUnauthorized(e: unknown): boolean {
  return hasReason(e, 401, "Unauthorized");
}
/** The object failed validation (422 Invalid); see `causes`. */
export function isInvalid(e: unknown): boolean {
  return hasReason(e, 422, "Invalid");
}
/** The server is throttling us (429); see `retryAfterSeconds`. */
export function isTooManyRequests(e: unknown): boolean {
  return hasReason(e, 429, "TooManyRequests");
}
