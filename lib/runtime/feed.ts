/**
 * A store fed by a watch, for controllers that keep a cache of objects they do not
 * reconcile (a controller's own watches go through `Controller`).
 */
import type { KubeClient, KubeObject, ResourceRef } from "../kube/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { Store } from "./store.ts";
import { watcher } from "./watcher.ts";

/** Options for {@linkcode feedStore}. */
export interface FeedOptions {
  labelSelector?: string;
  fieldSelector?: string;
  namespace?: string;
  signal: AbortSignal;
  logger?: Logger;
  /** The watcher's retry backoff (tests shorten it). */
  backoff?: BackoffOptions;
}

/**
 * Feeds `store` from a watch of `ref` until the signal aborts, calling `onChange` for each
 * changed object (and each object of a full list). A failing watch (e.g. its CRD not
 * installed yet) is said once at WARN, then retried quietly with the watcher's backoff
 * until a full list succeeds again.
 */
export async function feedStore<T extends KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  store: Store<T>,
  options: FeedOptions,
  onChange: (obj: T) => void,
): Promise<void> {
  const { signal, logger, ...selectors } = options;
  let warned = false;
  for await (const event of watcher<T>(client, ref, { ...selectors, signal })) {
    if (event.type === "error") {
      const log = warned ? logger?.debug : logger?.warn;
      log?.call(logger, `${ref.kind} watch failed; retrying`, { error: event.error });
      warned = true;
      continue;
    }
    // Every retry starts with `init` before its list fails: only a full list resets the warning.
    if (event.type === "initDone") warned = false;
    for (const change of store.apply(event)) onChange(change.object);
    if (event.type === "initApply") onChange(event.object);
  }
}
