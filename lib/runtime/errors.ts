/**
 * The reconcile error model: what went wrong is a type, not a string. A reconciler throws
 * {@linkcode TerminalError} (retrying cannot help: recorded, not retried) or
 * {@linkcode RetryableError} (retry, optionally after a delay); any other error is retried
 * with backoff. Every error has a machine-readable reason ({@linkcode reasonOf}) that the
 * reconciler writes into its status condition in a `finally`. See docs/adr/failure-model.md.
 */

/** Options of {@linkcode ReconcileError}. */
export interface ReconcileErrorOptions extends ErrorOptions {
  /** CamelCase reason for conditions and Events; default by class. */
  reason?: string;
}

/** A reconcile failure with a reason. */
export class ReconcileError extends Error {
  /** CamelCase reason, as Kubernetes conditions carry. */
  readonly reason: string;
  constructor(message: string, options: ReconcileErrorOptions = {}, fallback = "ReconcileFailed") {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ReconcileError";
    this.reason = options.reason ?? fallback;
  }
}

/** A failure that retrying cannot fix (bad spec, ...): recorded, not retried. */
export class TerminalError extends ReconcileError {
  constructor(message: string, options: ReconcileErrorOptions = {}) {
    super(message, options, "TerminalError");
    this.name = "TerminalError";
  }
}

/** Options of {@linkcode RetryableError}. */
export interface RetryableErrorOptions extends ReconcileErrorOptions {
  /** Retry after this long instead of the queue's backoff. */
  retryAfterMs?: number;
}

/** A failure that a later attempt may fix (a dependency not ready, a lost connection). */
export class RetryableError extends ReconcileError {
  readonly retryAfterMs?: number;
  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options, "RetryableError");
    this.name = "RetryableError";
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The work was cancelled (shutdown, lost leadership, deadline) before it finished. */
export class CancelledError extends ReconcileError {
  constructor(message = "cancelled", options: ReconcileErrorOptions = {}) {
    super(message, options, "Cancelled");
    this.name = "CancelledError";
  }
}

/** True for an error whose retry cannot help. */
export function isTerminal(error: unknown): error is TerminalError {
  return error instanceof TerminalError;
}

/** True when `error` is the result of an abort (a signal's reason or a fetch AbortError). */
export function isCancellation(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted && (error === signal.reason || error instanceof DOMException)) return true;
  return error instanceof CancelledError ||
    (error instanceof DOMException && error.name === "AbortError");
}

/**
 * The CamelCase reason of any error: a ReconcileError's own, an API error's Status reason
 * (`Conflict`, `Forbidden`, ...), `Timeout` for a deadline, `Cancelled` for an abort,
 * `ReconcileFailed` otherwise.
 */
export function reasonOf(error: unknown): string {
  if (error instanceof ReconcileError) return error.reason;
  if (error instanceof DOMException && error.name === "AbortError") return "Cancelled";
  if (error instanceof Error && error.name === "DeadlineExceeded") return "Timeout";
  if (error instanceof Error && (error.name === "ApiError" || error.name === "StatusError")) {
    const reason = (error as Error & { reason?: unknown }).reason;
    if (typeof reason === "string" && /^[A-Z][A-Za-z]*$/.test(reason)) return reason;
  }
  return "ReconcileFailed";
}

/** The error's message for a condition, bounded so a huge message cannot bloat status. */
export function messageOf(error: unknown, max = 1024): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
