/**
 * The watcher: an async iterable of events over one resource type, driven by an explicit
 * state machine (kube-rs's shape, client-go's behaviour):
 *
 *   Empty ──list pages──▶ Listed(rv) ──watch?rv&bookmarks──▶ Watching(rv)
 *     ▲                      ▲   stream closed / silent too long │
 *     │                      └───────────────────────────────────┘
 *     └──────────── 410 Gone / RV too large (relist) ─────────────┘
 *
 * Errors never end the iteration: they are yielded as `error` events and the current state
 * is retried after a jittered backoff. Only the abort signal ends it.
 */
import {
  ApiError,
  apiVersionOf,
  isGone,
  type KubeClient,
  type KubeObject,
  resourcePath,
  type ResourceRef,
  watchErrorToApiError,
  watchEvents,
} from "../kube/mod.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { type Clock, systemClock } from "./clock.ts";

/** What a watcher yields. `init…initDone` bracket a full (re)list. */
export type WatchEvent<T> =
  | { type: "init" }
  | { type: "initApply"; object: T }
  | { type: "initDone" }
  | { type: "apply"; object: T }
  | { type: "delete"; object: T }
  | { type: "error"; error: Error };

/** Why a watch was restarted (for metrics). */
export type RestartReason = "gone" | "idle" | "closed" | "error";

/** Options for {@linkcode watcher}. */
export interface WatcherOptions {
  /** Only this namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** List page size; default 500. */
  pageSize?: number;
  /** A watch with no event (bookmarks count) for this long is restarted; default 5 min. */
  idleTimeoutMs?: number;
  /** Server-side watch timeout; default random in [5, 10) min, as client-go. */
  watchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
  /** Ends the iteration. */
  signal?: AbortSignal;
  clock?: Clock;
  /** Called on every restart of the watch or list, with why. */
  onRestart?: (reason: RestartReason) => void;
}

type State = { kind: "empty" } | { kind: "listed"; rv: string };

class IdleTimeout extends Error {}

/** True for the apiserver's "Too large resource version": our RV is ahead of its cache. */
function isTooLargeRv(e: unknown): boolean {
  return e instanceof ApiError && e.causes.some((c) => c.reason === "ResourceVersionTooLarge");
}

function withType<T extends KubeObject>(obj: T, ref: ResourceRef): T {
  // List items come without apiVersion/kind; fill them so every event is self-describing.
  obj.apiVersion ??= apiVersionOf(ref);
  obj.kind ??= ref.kind;
  return obj;
}

/** Watches `ref` forever (until the signal aborts), yielding store-ready events. */
export async function* watcher<T extends KubeObject = KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  options: WatcherOptions = {},
): AsyncGenerator<WatchEvent<T>> {
  const signal = options.signal ?? new AbortController().signal;
  const clock = options.clock ?? systemClock;
  const backoff = new Backoff({ clock, ...options.backoff });
  const idleMs = options.idleTimeoutMs ?? 300_000;
  const selectors: Record<string, string> = {};
  if (options.labelSelector) selectors.labelSelector = options.labelSelector;
  if (options.fieldSelector) selectors.fieldSelector = options.fieldSelector;
  const path = resourcePath(ref, { namespace: options.namespace });
  let state: State = { kind: "empty" };

  while (!signal.aborted) {
    const attempt = new AbortController();
    const onAbort = () => attempt.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    let idleTimer: number | undefined;
    const stopIdle = () => {
      if (idleTimer !== undefined) clock.clearTimeout(idleTimer);
      idleTimer = undefined;
    };
    const armIdle = () => {
      stopIdle();
      idleTimer = clock.setTimeout(() => attempt.abort(new IdleTimeout()), idleMs);
    };
    const started = clock.now();
    try {
      if (state.kind === "empty") {
        yield { type: "init" };
        let cont: string | undefined;
        let rv = "";
        do {
          const page = await client.list<T>(ref, {
            namespace: options.namespace,
            ...selectors,
            limit: options.pageSize ?? 500,
            continue: cont,
            signal: attempt.signal,
          });
          for (const item of page.items) yield { type: "initApply", object: withType(item, ref) };
          cont = page.metadata.continue || undefined;
          rv = page.metadata.resourceVersion;
        } while (cont);
        yield { type: "initDone" };
        state = { kind: "listed", rv };
        continue;
      }
      const timeout = options.watchTimeoutSeconds ?? Math.floor(300 + Math.random() * 300);
      armIdle();
      const response = await client.fetchRaw({
        method: "GET",
        path,
        query: {
          ...selectors,
          watch: "1",
          resourceVersion: state.rv,
          allowWatchBookmarks: "true",
          timeoutSeconds: String(timeout),
        },
        signal: attempt.signal,
      });
      if (!response.ok) throw await ApiError.fromResponse(response, `WATCH ${path}`);
      if (!response.body) throw new Error(`Cannot WATCH ${path}: the answer has no body`);
      armIdle();
      for await (const raw of watchEvents<T>(response.body)) {
        stopIdle();
        if (raw.type === "ERROR") throw watchErrorToApiError(raw, `WATCH ${path}`);
        const rv = raw.object?.metadata?.resourceVersion;
        if (raw.type !== "BOOKMARK") {
          const object = withType(raw.object, ref);
          // Pausing the idle timer while the consumer works: slowness there is not silence.
          yield raw.type === "DELETED" ? { type: "delete", object } : { type: "apply", object };
        }
        if (rv) state = { kind: "listed", rv };
        armIdle();
      }
      // A normal end (server timeout): resume from the last RV. A watch that ends at once
      // again and again must not spin, so short ones count as failures.
      options.onRestart?.("closed");
      if (clock.now() - started < 1000) await backoff.wait(signal);
    } catch (error) {
      if (signal.aborted) break;
      const cause = attempt.signal.aborted ? attempt.signal.reason : error;
      if (cause instanceof IdleTimeout) {
        options.onRestart?.("idle");
        continue;
      }
      if (isGone(cause) || isTooLargeRv(cause)) {
        // Our resourceVersion is unusable: start over from a fresh list.
        options.onRestart?.("gone");
        state = { kind: "empty" };
        if (clock.now() - started < 1000) await backoff.wait(signal).catch(() => {});
        continue;
      }
      options.onRestart?.("error");
      yield { type: "error", error: cause instanceof Error ? cause : new Error(String(cause)) };
      await backoff.wait(signal).catch(() => {});
    } finally {
      stopIdle();
      signal.removeEventListener("abort", onAbort);
      attempt.abort();
    }
  }
}
