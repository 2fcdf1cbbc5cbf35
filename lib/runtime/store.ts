/**
 * The cache a watcher fills: one writer (`apply`), read-only views for everyone else. A
 * relist fills a side buffer that replaces the live map in one step on `initDone`, so
 * readers never see a half-listed world, and objects deleted during a watch gap vanish.
 */
import { type KubeObject, objectKey } from "../kube/mod.ts";
import type { WatchEvent } from "./watcher.ts";

/** A read-only view of a store. Objects are frozen: copy before changing. */
export interface StoreReader<T extends KubeObject> {
  /** Resolves once the first full list has landed. */
  readonly ready: Promise<void>;
  /** True once the first full list has landed. */
  readonly isReady: boolean;
  /** Number of cached objects. */
  readonly size: number;
  /** The object at `namespace/name` (or `name`). */
  get(key: string): Readonly<T> | undefined;
  /** Every cached object. */
  list(): Readonly<T>[];
  /** Every key. */
  keys(): string[];
}

/** What a store change did, for callers that map changes to work. */
export interface StoreChange<T> {
  type: "apply" | "delete";
  object: T;
}

function deepFreeze<V>(value: V): V {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Prepares an object for caching: `managedFields` dropped (often half an object's size and
 * never read by controllers), then frozen so readers cannot corrupt the cache.
 */
export function prepareForCache<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return deepFreeze(obj);
}

/** A watcher-fed cache keyed by `namespace/name`. */
export class Store<T extends KubeObject> implements StoreReader<T> {
  #live = new Map<string, T>();
  #buffer?: Map<string, T>;
  #isReady = false;
  #resolveReady!: () => void;
  /** Resolves once the first full list has landed. */
  readonly ready: Promise<void>;

  constructor() {
    this.ready = new Promise((resolve) => this.#resolveReady = resolve);
  }

  get isReady(): boolean {
    return this.#isReady;
  }

  get size(): number {
    return this.#live.size;
  }

  get(key: string): Readonly<T> | undefined {
    return this.#live.get(key);
  }

  list(): Readonly<T>[] {
    return [...this.#live.values()];
  }

  keys(): string[] {
    return [...this.#live.keys()];
  }

  /** A view without the writer method, to hand to readers. */
  reader(): StoreReader<T> {
    // deno-lint-ignore no-this-alias
    const store = this;
    return {
      get ready() {
        return store.ready;
      },
      get isReady() {
        return store.isReady;
      },
      get size() {
        return store.size;
      },
      get: (key) => store.get(key),
      list: () => store.list(),
      keys: () => store.keys(),
    };
  }

  /**
   * Applies one watcher event. Returns the visible changes: one for `apply`/`delete`, and on
   * `initDone` a delete for every object the relist no longer has.
   */
  apply(event: WatchEvent<T>): StoreChange<T>[] {
    switch (event.type) {
      case "init":
        this.#buffer = new Map();
        return [];
      case "initApply": {
        const obj = prepareForCache(event.object);
        (this.#buffer ??= new Map()).set(objectKey(obj), obj);
        return [];
      }
      case "initDone": {
        const next = this.#buffer ?? new Map<string, T>();
        this.#buffer = undefined;
        const removed: StoreChange<T>[] = [];
        for (const [key, obj] of this.#live) {
          if (!next.has(key)) removed.push({ type: "delete", object: obj });
        }
        this.#live = next;
        if (!this.#isReady) {
          this.#isReady = true;
          this.#resolveReady();
        }
        return removed;
      }
      case "apply": {
        const obj = prepareForCache(event.object);
        this.#live.set(objectKey(obj), obj);
        return [{ type: "apply", object: obj }];
      }
      case "delete": {
        const key = objectKey(event.object);
        const old = this.#live.get(key);
        this.#live.delete(key);
        return [{ type: "delete", object: old ?? prepareForCache(event.object) }];
      }
      case "error":
        return [];
    }
  }
}
