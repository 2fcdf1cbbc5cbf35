/**
 * An events.k8s.io/v1 recorder. Repeats of the same event on the same object within the
 * series window become a `series` update of one Event instead of a new object, like
 * client-go's EventRecorder, so a hot reconcile loop cannot flood etcd.
 */
import type { Logger } from "../log/mod.ts";
import { silentLogger } from "../log/mod.ts";
import type { KubeClient } from "./client.ts";
import { type KubeObject, resourcePath, type ResourceRef } from "./types.ts";

/** What happened. */
export interface EventDetails {
  type: "Normal" | "Warning";
  /** CamelCase reason, e.g. `Provisioning`. */
  reason: string;
  /** Human-readable text (truncated to 1 KiB). */
  note: string;
  /** What the controller did, e.g. `Reconcile`. */
  action: string;
}

/** Options for {@linkcode EventRecorder}. */
export interface EventRecorderOptions {
  /** reportingController, e.g. `lattice.dev/operator`. */
  component: string;
  /** reportingInstance (pod name); default the component. */
  host?: string;
  logger?: Logger;
  /** Repeats within this window are folded into a series; default 10 min. */
  seriesWindowMs?: number;
  now?: () => Date;
}

const EVENTS: ResourceRef = {
  group: "events.k8s.io",
  version: "v1",
  plural: "events",
  kind: "Event",
  namespaced: true,
};

interface Recent {
  name: string;
  namespace: string;
  count: number;
  firstMs: number;
}

/** MicroTime: RFC 3339 with exactly six fractional digits, as the apiserver demands. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Records events about objects. `record` never throws: events are best-effort. */
export class EventRecorder {
  #client: KubeClient;
  #options: EventRecorderOptions;
  #recent = new Map<string, Recent>();

  constructor(client: KubeClient, options: EventRecorderOptions) {
    this.#client = client;
    this.#options = options;
  }

  /** Records an event regarding `obj`. */
  async record(obj: KubeObject, details: EventDetails): Promise<void> {
    const now = (this.#options.now ?? (() => new Date()))();
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace || "default";
    const note = details.note.length > 1024 ? details.note.slice(0, 1021) + "..." : details.note;
    const key = [meta.uid, meta.name, namespace, details.type, details.reason, note].join("\0");
    const window = this.#options.seriesWindowMs ?? 600_000;
    const recent = this.#recent.get(key);
    try {
      if (recent && now.getTime() - recent.firstMs < window) {
        recent.count++;
        await this.#client.patch(EVENTS, recent.name, {
          series: { count: recent.count, lastObservedTime: microTime(now) },
        }, { namespace: recent.namespace });
        return;
      }
      const suffix = now.getTime().toString(16) + Math.random().toString(16).slice(2, 8);
      const event = {
        apiVersion: "events.k8s.io/v1",
        kind: "Event",
        metadata: { name: `${meta.name}.${suffix}`, namespace },
        eventTime: microTime(now),
        reportingController: this.#options.component,
        reportingInstance: this.#options.host ?? this.#options.component,
        action: details.action,
        reason: details.reason,
        note,
        type: details.type,
        regarding: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
      };
      await this.#client.request({
        method: "POST",
        path: resourcePath(EVENTS, { namespace }),
        body: event,
      });
      this.#prune(now.getTime(), window);
      this.#recent.set(key, {
        name: event.metadata.name,
        namespace,
        count: 1,
        firstMs: now.getTime(),
      });
    } catch (error) {
      this.#recent.delete(key);
      (this.#options.logger ?? silentLogger).warn("Cannot record event", {
        reason: details.reason,
        object: meta.name,
        error,
      });
    }
  }

  #prune(nowMs: number, window: number) {
    for (const [k, v] of this.#recent) if (nowMs - v.firstMs >= window) this.#recent.delete(k);
  }
}
