/**
 * The hand-written controller runtime: watcher → store → queue → controller, leader
 * election and metrics. It knows nothing of Lattice's resources.
 *
 * @module
 */
export { Backoff, type BackoffOptions } from "./backoff.ts";
export {
  type Clock,
  DeadlineExceeded,
  deadlineSignal,
  every,
  ManualClock,
  pause,
  sleep,
  systemClock,
  valueWithin,
  withDeadline,
} from "./clock.ts";
export {
  backoffDelay,
  type BackoffDelayOptions,
  retry,
  type RetryHint,
  type RetryOptions,
} from "./backoff.ts";
export {
  CancelledError,
  isCancellation,
  isTerminal,
  messageOf,
  reasonOf,
  ReconcileError,
  type ReconcileErrorOptions,
  RetryableError,
  type RetryableErrorOptions,
} from "./errors.ts";
export {
  Action,
  Controller,
  type ControllerOptions,
  type OwnedWatch,
  type ReconcileContext,
  type Reconciler,
  TerminalError,
} from "./controller.ts";
export { LeaderElector, type LeaderElectorOptions } from "./leader.ts";
export { Counter, DEFAULT_BUCKETS, Gauge, Histogram, type Labels, Registry } from "./metrics.ts";
export { ownerKeysOf } from "./owners.ts";
export { type RateLimiterOptions, WorkQueue, type WorkQueueOptions } from "./queue.ts";
export { RuntimeMetrics } from "./runtime_metrics.ts";
export {
  prepareForCache,
  Store,
  type StoreChange,
  type StoreReader,
  StringTable,
} from "./store.ts";
export { type FeedOptions, feedStore } from "./feed.ts";
export { type RestartReason, watcher, type WatcherOptions, type WatchEvent } from "./watcher.ts";
