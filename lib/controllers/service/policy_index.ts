/**
 * What pair policies exist, by callee: a watch-fed index of the mesh's CiliumNetworkPolicies
 * and AuthorizationPolicies that keeps only each object's name, content hash and generation.
 *
 * It replaces two label-selected lists per reconcile: such a list costs the apiserver a scan
 * of every policy in the namespace (≈4 ms of CPU with 2,000 of them), so a big mesh paid
 * O(services × namespace size) for lists alone. A watch costs one serialized event per write.
 *
 * The controller's own writes are recorded at once (the watch event follows later), so a
 * second reconcile right after a create neither creates again nor applies. A write by
 * someone else (a newer generation than ours) or a deletion marks the entry and wakes the
 * callee, which puts its policies back.
 */
import { isNotFound, type KubeClient, type KubeObject, type ResourceRef } from "../../kube/mod.ts";
import type { Logger } from "../../log/mod.ts";
import { watcher, type WatchEvent } from "../../runtime/mod.ts";
import { HASH_ANNOTATION, MANAGED_BY_LABEL, MESH_MANAGER, SERVICE_LABEL } from "./names.ts";

/** What the index knows of one policy object. */
interface Entry {
  /** Its content hash annotation ("" when someone else changed it). */
  hash: string;
  generation: number;
  /** The generation our last write produced, when this process wrote it. */
  wrote?: number;
}

/** Whether a kind's policies can be read. */
export type IndexState = "pending" | "ready" | "missing";

/** Options of {@linkcode PolicyIndex}. */
export interface PolicyIndexOptions {
  logger?: Logger;
  /** Called with `namespace/service` when a policy of that callee changed or went. */
  onDrift?: (serviceKey: string) => void;
}

class KindIndex {
  state: IndexState = "pending";
  /** The last failure of this kind's list or watch, until a list succeeds. */
  error?: Error;
  /** `namespace/service` → name → entry. */
  byService = new Map<string, Map<string, Entry>>();
  #buffer?: Map<string, Map<string, Entry>>;

  entries(key: string, create = false): Map<string, Entry> | undefined {
    let map = this.byService.get(key);
    if (!map && create) this.byService.set(key, map = new Map());
    return map;
  }

  /** Applies one watch event; returns the callee to wake, if any. */
  apply(event: WatchEvent<KubeObject>): string | undefined {
    switch (event.type) {
      case "init":
        this.#buffer = new Map();
        return;
      case "initApply": {
        const key = ownerKey(event.object);
        if (!key || !this.#buffer) return;
        let map = this.#buffer.get(key);
        if (!map) this.#buffer.set(key, map = new Map());
        map.set(event.object.metadata?.name ?? "", observed(event.object));
        return;
      }
      case "initDone":
        this.byService = this.#buffer ?? new Map();
        this.#buffer = undefined;
        this.state = "ready";
        this.error = undefined;
        return;
      case "apply": {
        const key = ownerKey(event.object);
        if (!key) return;
        const map = this.entries(key, true)!;
        const name = event.object.metadata?.name ?? "";
        const seen = observed(event.object);
        const known = map.get(name);
        if (known && seen.generation < known.generation) return; // an older event
        if (known?.wrote !== undefined && seen.generation > known.wrote) {
          map.set(name, { hash: "", generation: seen.generation, wrote: known.wrote });
          return key;
        }
        map.set(name, { ...seen, wrote: known?.wrote });
        return;
      }
      case "delete": {
        const key = ownerKey(event.object);
        if (!key) return;
        this.entries(key)?.delete(event.object.metadata?.name ?? "");
        return key;
      }
      case "error":
        if (isNotFound(event.error)) this.state = "missing";
        else if (this.state === "pending") this.error = event.error;
        return;
    }
  }
}

function ownerKey(obj: KubeObject): string | undefined {
  const service = obj.metadata?.labels?.[SERVICE_LABEL];
  return service && obj.metadata?.namespace ? `${obj.metadata.namespace}/${service}` : undefined;
}

function observed(obj: KubeObject): Entry {
  return {
    hash: obj.metadata?.annotations?.[HASH_ANNOTATION] ?? "",
    generation: Number(obj.metadata?.generation ?? 0),
  };
}

/** The index of pair policies of every callee, one watch per policy kind. */
export class PolicyIndex {
  readonly #client: KubeClient;
  readonly #opts: PolicyIndexOptions;
  readonly #kinds = new Map<string, KindIndex>();
  #ready!: () => void;
  /** Resolves once every kind has been listed or found missing. */
  readonly settled = new Promise<void>((resolve) => this.#ready = resolve);

  constructor(client: KubeClient, refs: readonly ResourceRef[], options: PolicyIndexOptions = {}) {
    this.#client = client;
    this.#opts = options;
    for (const ref of refs) this.#kinds.set(ref.kind, new KindIndex());
  }

  /** `ready` when every kind is listed, `missing` when a CRD is absent, else `pending`. */
  get state(): IndexState {
    const states = [...this.#kinds.values()].map((k) => k.state);
    if (states.includes("missing")) return "missing";
    return states.every((s) => s === "ready") ? "ready" : "pending";
  }

  /** Why a kind still cannot be read (a list refused, e.g. by RBAC), while `pending`. */
  get error(): Error | undefined {
    return [...this.#kinds.values()].find((k) => k.error)?.error;
  }

  /** Watches every kind until `signal` aborts. */
  async run(refs: readonly ResourceRef[], signal: AbortSignal): Promise<void> {
    const labelSelector = `${MANAGED_BY_LABEL}=${MESH_MANAGER}`;
    await Promise.all(refs.map(async (ref) => {
      for await (const event of watcher(this.#client, ref, { labelSelector, signal })) {
        if (event.type === "error" && !isNotFound(event.error)) {
          this.#opts.logger?.warn("Pair policy watch failed; retrying", {
            kind: ref.kind,
            error: event.error,
          });
        }
        this.observe(ref, event);
      }
    }));
  }

  /** Applies one watch event of kind `ref` (what `run` does with each). */
  observe(ref: ResourceRef, event: WatchEvent<KubeObject>): void {
    const wake = this.#kinds.get(ref.kind)?.apply(event);
    if (this.state !== "pending") this.#ready();
    if (wake) this.#opts.onDrift?.(wake);
  }

  /** The policies of kind `ref` whose callee is `namespace/service`: name → content hash. */
  existing(ref: ResourceRef, namespace: string, service: string): Map<string, string> {
    const map = this.#kinds.get(ref.kind)?.entries(`${namespace}/${service}`);
    return new Map([...map ?? []].map(([name, e]) => [name, e.hash]));
  }

  /** Records our own write of `obj` (as the apiserver returned it) with content `hash`. */
  wrote(ref: ResourceRef, obj: KubeObject, hash: string): void {
    const key = ownerKey(obj);
    const map = key ? this.#kinds.get(ref.kind)?.entries(key, true) : undefined;
    if (!map) return;
    const generation = Number(obj.metadata?.generation ?? 0);
    const known = map.get(obj.metadata?.name ?? "");
    if (known && known.generation > generation) return;
    map.set(obj.metadata?.name ?? "", { hash, generation, wrote: generation });
  }

  /** Records our own deletion of a policy. */
  deleted(ref: ResourceRef, namespace: string, service: string, name: string): void {
    this.#kinds.get(ref.kind)?.entries(`${namespace}/${service}`)?.delete(name);
  }
}
