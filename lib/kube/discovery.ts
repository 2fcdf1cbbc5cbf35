/**
 * Discovery of resource types: apiVersion + kind → plural and scope. Answers are cached per
 * group/version; a miss refreshes once, because CRDs can be installed while we run.
 */
import { ApiError } from "./errors.ts";
import { parseApiVersion, type ResourceRef } from "./types.ts";

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** A discovery cache over a GET function. */
export class Discovery {
  #get: (path: string) => Promise<ApiResourceList>;
  #cache = new Map<string, Promise<ApiResourceList>>();

  constructor(get: (path: string) => Promise<ApiResourceList>) {
    this.#get = get;
  }

  #fetch(apiVersion: string, fresh: boolean): Promise<ApiResourceList> {
    let hit = this.#cache.get(apiVersion);
    if (!hit || fresh) {
      const { group } = parseApiVersion(apiVersion);
      hit = this.#get(group ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
      this.#cache.set(apiVersion, hit);
      // A failed lookup must not poison the cache.
      hit.catch(() => this.#cache.delete(apiVersion));
    }
    return hit;
  }

  /** The resource serving `kind` in `apiVersion`. */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    const { group, version } = parseApiVersion(apiVersion);
    for (const fresh of [false, true]) {
      let list: ApiResourceList;
      try {
        list = await this.#fetch(apiVersion, fresh);
      } catch (error) {
        if (!fresh && error instanceof ApiError && error.status === 404) continue;
        throw new Error(`Cannot resolve ${kind}.${apiVersion}: discovery failed`, {
          cause: error,
        });
      }
      const found = list.resources.find((r) => r.kind === kind && !r.name.includes("/"));
      if (found) {
        return { group, version, plural: found.name, kind, namespaced: found.namespaced };
      }
    }
    throw new Error(`Cannot resolve ${kind}.${apiVersion}: the server does not serve it`);
  }

  /** Forgets every cached answer. */
  invalidate(): void {
    this.#cache.clear();
  }
}
