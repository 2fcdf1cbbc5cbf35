/**
 * Bounded retries for the join's transient failures (the cell or the local apiserver still
 * starting, throttling): the runtime's one retry (lib/runtime/backoff.ts).
 */
export { retry, type RetryHint, type RetryOptions } from "../runtime/backoff.ts";
