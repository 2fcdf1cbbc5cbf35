/**
 * The controller: watchers feed stores, store changes become keys in a work queue, N workers
 * reconcile keys. After each reconcile the worker applies controller-runtime's switch:
 * terminal error → forget and record; other error → rate-limited requeue; requeueAfter →
 * forget and add after; success → forget. Reconcile is level-triggered: it sees the cached
 * object, never the event that woke it.
 */
import type { EventRecorder, KubeClient, KubeObject, ResourceRef } from "../kube/mod.ts";
import { isTooManyRequests, objectKey } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { type Clock, systemClock } from "./clock.ts";
import { WorkQueue, type WorkQueueOptions } from "./queue.ts";
import { RuntimeMetrics } from "./runtime_metrics.ts";
import { Store, type StoreReader } from "./store.ts";
import { watcher, type WatcherOptions } from "./watcher.ts";
import { ownerKeysOf } from "./owners.ts";
import { CancelledError, isCancellation, RetryableError, TerminalError } from "./errors.ts";

/** What a reconcile asks for next. Build with `Action.done()` / `Action.requeueAfter(ms)`. */
export type Action = { requeueAfterMs?: number };

/** Constructors of {@linkcode Action}. */
export const Action = {
  /** Nothing more to do until the object changes. */
  done: (): Action => ({}),
  /** Reconcile again after `ms` (e.g. to poll something external). */
  requeueAfter: (ms: number): Action => ({ requeueAfterMs: ms }),
};

export { TerminalError };

/** What a reconcile gets besides the object. */
export interface ReconcileContext<T extends KubeObject = KubeObject> {
  /** Short random id of this reconcile, also on every log line. */
  id: string;
  /** `namespace/name` of the object. */
  key: string;
  /** A child logger carrying `reconcile` and `key`. */
  logger: Logger;
  /** Aborts on timeout or forced shutdown; pass it to API calls. */
  signal: AbortSignal;
  /** The primary cache (read-only). */
  store: StoreReader<T>;
  /** Failures of this key since its last success. */
  retries: number;
}

/** Level-triggered business logic. `obj` is a frozen cache entry: copy before changing. */
export interface Reconciler<T extends KubeObject = KubeObject> {
  reconcile(obj: T, ctx: ReconcileContext<T>): Promise<Action>;
}

/** A secondary watch whose objects wake their owner. */
export interface OwnedWatch {
  ref: ResourceRef;
  /** Keys of primaries to wake; default: controller ownerReferences of the primary kind. */
  toKeys?: (obj: KubeObject) => string[];
  namespace?: string;
  labelSelector?: string;
}

/** Options for {@linkcode Controller}. */
export interface ControllerOptions<T extends KubeObject> {
  /** The primary resource. */
  ref: ResourceRef;
  reconciler: Reconciler<T>;
  /** For logs and metrics; default the resource plural. */
  name?: string;
  /** Parallel reconciles; default 2. */
  workers?: number;
  logger?: Logger;
  owns?: OwnedWatch[];
  /**
   * Keys of other primaries a change of this primary wakes (objects of one kind that refer
   * to each other). Called on every change, deletions included, after the store has it.
   */
  wakes?(obj: T): string[];
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Per-reconcile timeout (aborts ctx.signal); default 5 min. */
  reconcileTimeoutMs?: number;
  /**
   * How long shutdown waits for in-flight reconciles to return once their signals are
   * aborted; default 30 s (reconcilers that honour ctx.signal return within milliseconds).
   */
  drainTimeoutMs?: number;
  metrics?: RuntimeMetrics;
  /** Records TerminalErrors as Warning events when given. */
  recorder?: EventRecorder;
  clock?: Clock;
  /** Backoff of failed keys. */
  queue?: Pick<WorkQueueOptions, "baseDelayMs" | "maxDelayMs">;
  /** Watch tuning (idle timeout, backoff). */
  watch?: Pick<WatcherOptions, "idleTimeoutMs" | "backoff" | "pageSize">;
}

/** One controller over one primary resource. */
export class Controller<T extends KubeObject = KubeObject> {
  /** Resolves when the primary and owned caches have their first full list. */
  readonly ready: Promise<void>;
  /** The primary cache. */
  readonly store: StoreReader<T>;
  readonly #client: KubeClient;
  readonly #opts: ControllerOptions<T>;
  readonly #name: string;
  readonly #log: Logger;
  readonly #metrics: RuntimeMetrics;
  readonly #clock: Clock;
  readonly #primary = new Store<T>();
  readonly #owned: Store<KubeObject>[];
  #queue?: WorkQueue;
  #inflight = new Set<AbortController>();
  #isReady = false;

  constructor(client: KubeClient, options: ControllerOptions<T>) {
    this.#client = client;
    this.#opts = options;
    this.#name = options.name ?? options.ref.plural;
    this.#log = (options.logger ?? silentLogger).child({ controller: this.#name });
    this.#metrics = options.metrics ?? new RuntimeMetrics();
    this.#metrics.initController(this.#name);
    this.#clock = options.clock ?? systemClock;
    this.#owned = (options.owns ?? []).map(() => new Store<KubeObject>());
    this.store = this.#primary.reader();
    this.ready = Promise.all([this.#primary.ready, ...this.#owned.map((s) => s.ready)]).then(
      () => void (this.#isReady = true),
    );
  }

  /**
   * The cache of the `index`-th owned watch (`options.owns[index]`): a reconciler reads
   * owned objects from it instead of asking the API server each time.
   */
  ownedStore(index: number): StoreReader<KubeObject> | undefined {
    return this.#owned[index]?.reader();
  }

  /** The controller's name. */
  get name(): string {
    return this.#name;
  }

  /** True once every cache has synced. */
  get isReady(): boolean {
    return this.#isReady;
  }

  /** Wakes `key` by hand (e.g. from another controller). No-op when not running. */
  enqueue(key: string): void {
    this.#queue?.add(key);
  }

  /** Runs until `signal` aborts, then drains in-flight reconciles and stops the watches. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#queue && !this.#queue.shuttingDown) {
      throw new Error(`Cannot run controller ${this.#name}: it is already running`);
    }
    const queue = this.#queue = new WorkQueue({
      name: this.#name,
      clock: this.#clock,
      metrics: this.#metrics,
      ...this.#opts.queue,
    });
    const watches = new AbortController();
    const pumps = [
      this.#pump(this.#opts.ref, this.#primary, watches.signal, {
        namespace: this.#opts.namespace,
        labelSelector: this.#opts.labelSelector,
        fieldSelector: this.#opts.fieldSelector,
      }, (obj) => [objectKey(obj), ...(this.#opts.wakes?.(obj) ?? [])]),
      ...(this.#opts.owns ?? []).map((owned, i) =>
        this.#pump(owned.ref, this.#owned[i], watches.signal, {
          namespace: owned.namespace,
          labelSelector: owned.labelSelector,
        }, owned.toKeys ?? ((obj) => ownerKeysOf(obj, this.#opts.ref)))
      ),
    ];
    this.#log.info("Starting controller", { workers: this.#opts.workers ?? 2 });
    const workers = Array.from({ length: this.#opts.workers ?? 2 }, () => this.#worker(queue));
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    // Shutdown and lost leadership stop in-flight work at once: every reconcile's signal
    // aborts, reconcilers leave their resumable markers, and the next leader resumes.
    this.#log.info("Stopping controller: aborting in-flight reconciles", {
      inflight: queue.processing,
    });
    const reason = new CancelledError(
      `Cannot finish reconcile: ${
        signal.reason instanceof Error ? signal.reason.message : "stopping"
      }`,
    );
    for (const c of this.#inflight) c.abort(reason);
    let timer: number | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve(true), this.#opts.drainTimeoutMs ?? 30_000);
    });
    const drained = queue.shutDownWithDrain().then(() => false);
    // A reconcile that started between the abort above and the shutdown is aborted too.
    for (const c of this.#inflight) c.abort(reason);
    if (await Promise.race([drained, timedOut])) {
      this.#log.warn("Cannot drain in time: reconciles ignore their signal", {
        inflight: this.#inflight.size,
      });
    }
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    watches.abort();
    await Promise.all([...pumps, ...workers]);
    this.#log.info("Stopped controller");
  }

  async #pump<O extends KubeObject>(
    ref: ResourceRef,
    store: Store<O>,
    signal: AbortSignal,
    selectors: Pick<WatcherOptions, "namespace" | "labelSelector" | "fieldSelector">,
    toKeys: (obj: O) => string[],
  ): Promise<void> {
    const resource = ref.group ? `${ref.plural}.${ref.group}` : ref.plural;
    const events = watcher<O>(this.#client, ref, {
      ...this.#opts.watch,
      ...selectors,
      signal,
      clock: this.#clock,
      onRestart: (reason) => this.#metrics.watchRestarts.inc({ resource, reason }),
    });
    // Keys seen during a relist wait for initDone: until the swap, workers would not find
    // their objects in the store.
    let listed: string[] = [];
    for await (const event of events) {
      this.#metrics.watchEvents.inc({ resource, type: event.type });
      if (event.type === "error") {
        this.#log.warn("Watch failed; retrying", { resource, error: event.error });
        continue;
      }
      const changes = store.apply(event);
      if (event.type === "init") listed = [];
      // A relist re-queues everything it saw: events missed in the gap are covered.
      if (event.type === "initApply") listed.push(...toKeys(event.object));
      if (event.type === "initDone") {
        for (const k of listed) this.#queue?.add(k);
        listed = [];
      }
      for (const change of changes) for (const k of toKeys(change.object)) this.#queue?.add(k);
    }
  }

  async #worker(queue: WorkQueue): Promise<void> {
    while (true) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await this.#reconcileKey(queue, key);
      } finally {
        queue.done(key);
      }
    }
  }

  async #reconcileKey(queue: WorkQueue, key: string): Promise<void> {
    const obj = this.#primary.get(key) as T | undefined;
    if (!obj) {
      // Gone from the cache: deletion work happens while a finalizer still holds it.
      queue.forget(key);
      return;
    }
    const id = crypto.randomUUID().slice(0, 8);
    const logger = this.#log.child({ reconcile: id, key });
    const abort = new AbortController();
    const timeoutMs = this.#opts.reconcileTimeoutMs ?? 300_000;
    const timer = this.#clock.setTimeout(
      () => abort.abort(new Error(`Cannot reconcile ${key}: timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    this.#inflight.add(abort);
    const started = performance.now();
    let result = "success";
    this.#metrics.activeWorkers.inc({ controller: this.#name });
    try {
      const retries = queue.retries(key);
      const ctx = { id, key, logger, signal: abort.signal, store: this.store, retries };
      const action = await this.#opts.reconciler.reconcile(obj, ctx);
      queue.forget(key);
      if (action.requeueAfterMs !== undefined && action.requeueAfterMs >= 0) {
        result = action.requeueAfterMs > 0 ? "requeue_after" : "requeue";
        queue.addAfter(key, action.requeueAfterMs);
      }
    } catch (error) {
      if (queue.shuttingDown && isCancellation(error, abort.signal)) {
        result = "cancelled";
        logger.info("Reconcile cancelled", { reason: abort.signal.reason });
      } else if (error instanceof TerminalError) {
        result = "terminal";
        queue.forget(key);
        logger.error("Reconcile failed terminally; not retrying", { error });
        await this.#opts.recorder?.record(obj, {
          type: "Warning",
          reason: "ReconcileFailed",
          note: error.message,
          action: "Reconcile",
        });
      } else {
        result = "error";
        logger.warn("Reconcile failed; retrying with backoff", {
          error,
          retries: queue.retries(key) + 1,
        });
        const retryAfterMs = error instanceof RetryableError
          ? error.retryAfterMs
          : isTooManyRequests(error)
          ? ((error as { retryAfterSeconds?: number }).retryAfterSeconds ?? 0) * 1000
          : undefined;
        if (retryAfterMs) queue.addAfter(key, retryAfterMs);
        else queue.addRateLimited(key);
      }
    } finally {
      this.#clock.clearTimeout(timer);
      this.#inflight.delete(abort);
      this.#metrics.activeWorkers.inc({ controller: this.#name }, -1);
      // controller-runtime's results: a terminal error is an "error" (counted apart too).
      const controller = this.#name;
      this.#metrics.reconcileTotal.inc({
        controller,
        result: result === "terminal" ? "error" : result,
      });
      if (result === "terminal" || result === "error") {
        this.#metrics.reconcileErrors.inc({ controller });
      }
      if (result === "terminal") this.#metrics.terminalErrors.inc({ controller });
      this.#metrics.reconcileDuration.observe(
        { controller: this.#name },
        (performance.now() - started) / 1000,
      );
    }
  }
}
