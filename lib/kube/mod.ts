/**
 * Kubernetes client plumbing: credentials from a kubeconfig or the service account, our own
 * HTTP over Deno's fetch, typed API errors, server-side apply, status patches, discovery,
 * finalizers and events.
 *
 * @module
 */
export { KubeClient } from "./client.ts";
export type {
  ApplyOptions,
  CallOptions,
  DeleteOptions,
  KubeClientOptions,
  KubeRequest,
  ListOptions,
  PatchOptions,
  PatchType,
} from "./options.ts";
export {
  type Connection,
  type InClusterOptions,
  type KubeconfigOptions,
  SERVICE_ACCOUNT_DIR,
} from "./config.ts";
export {
  ApiError,
  type ApiErrorOptions,
  getOrUndefined,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
  isUnauthorized,
  type StatusBody,
  type StatusCause,
} from "./errors.ts";
export { addFinalizer, hasFinalizer, removeFinalizer } from "./finalizers.ts";
export { type EventDetails, EventRecorder, type EventRecorderOptions } from "./events.ts";
export { type RawWatchEvent, watchErrorToApiError, watchEvents } from "./watch.ts";
export {
  apiVersionOf,
  type KubeObject,
  objectKey,
  type ObjectList,
  type ObjectMeta,
  type OwnerReference,
  parseApiVersion,
  parseKey,
  resourcePath,
  type ResourcePathOptions,
  type ResourceRef,
} from "./types.ts";
export * from "./refs.ts";
export {
  type KubeStatus,
  STATUS_REASONS,
  statusBody,
  StatusError,
  type StatusErrorOptions,
  statusOf,
} from "./status.ts";
