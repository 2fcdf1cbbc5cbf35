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

/** Strings worth sharing between cached objects: short, and not unique by nature. */
function shareable(s: string): boolean {
  if (s.length > 64 || s.length === 0) return false;
  if (s.length === 36 && s[8] === "-" && s[13] === "-") return false; // a uid
  if (s.length >= 20 && s[4] === "-" && s[10] === "T") return false; // a timestamp
  const c = s.charCodeAt(0);
  return !(c >= 48 && c <= 57 && s.charCodeAt(s.length - 1) <= 57); // a resourceVersion
}

/** A table of shared strings; JSON.parse makes a fresh copy of every repeated value. */
export class StringTable {
  #strings = new Map<string, string>();
  constructor(readonly limit = 100_000) {}
  /** The shared copy of `s` (or `s` itself when not shareable or the table is full). */
  intern(s: string): string {
    if (!shareable(s)) return s;
    const hit = this.#strings.get(s);
    if (hit !== undefined) return hit;
    if (this.#strings.size < this.limit) this.#strings.set(s, s);
    return s;
  }
}

function freezeAndIntern<V>(value: V, strings?: StringTable): V {
  if (!value || typeof value !== "object" || Object.isFrozen(value)) return value;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const child = obj[key];
    if (typeof child === "string") {
      if (strings) obj[key] = strings.intern(child);
    } else freezeAndIntern(child, strings);
  }
  return Object.freeze(value);
}

/**
 * Prepares an object for caching: `managedFields` dropped (often half an object's size and
 * never read by controllers), repeated strings shared through `strings`, then frozen so
 * readers cannot corrupt the cache.
 */
export function prepareForCache<T extends KubeObject>(obj: T, strings?: StringTable): T {
  if (obj.metadata?.managedFields) {
    // Rebuilt rather than `delete`d: deleting a property drops V8 objects into slow
    // dictionary mode, which costs more memory than managedFields saves.
    const { managedFields: _, ...rest } = obj.metadata;
    (obj as KubeObject).metadata = rest;
  }
  return freezeAndIntern(obj, strings);
}

/** A watcher-fed cache keyed by `namespace/name`. */
export class Store<T extends KubeObject> implements StoreReader<T> {
  #live = new Map<string, T>();
  #strings = new StringTable();
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
        const obj = prepareForCache(event.object, this.#strings);
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
        const obj = prepareForCache(event.object, this.#strings);
        this.#live.set(objectKey(obj), obj);
        return [{ type: "apply", object: obj }];
      }
      case "delete": {
        const key = objectKey(event.object);
        const old = this.#live.get(key);
        this.#live.delete(key);
        return [{ type: "delete", object: old ?? prepareForCache(event.object, this.#strings) }];
      }
      case "error":
        return [];
    }
  }
}
