/**
 * Folder-internal: racing a promise against a deadline without leaking the timer.
 */

/** The deadline passed before the promise settled. */
export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`Cannot ${what}: no answer within ${Math.max(0, Math.round(ms))} ms`);
    this.name = "DeadlineExceeded";
  }
}

/**
 * Resolves like `promise` unless `ms` passes first, then rejects with DeadlineExceeded.
 * The promise itself keeps running (a late answer is ignored); the timer is always cleared.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) {
    promise.catch(() => {});
    return Promise.reject(new DeadlineExceeded(what, ms));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
