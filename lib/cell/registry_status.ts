/**
 * Keeps LatticeCluster `status.agent` (and the AgentConnected condition, and `status.nodes`
 * from ClusterHealth) in step with the agent registry. Kept apart from the registry so the
 * registry is testable without Kubernetes.
 *
 * Writes are serialized per cluster so a late "connected" cannot overwrite a newer
 * "disconnected", and heartbeat times are written at most once per interval: thousands of
 * agents heartbeating every 30 s must not turn into thousands of status writes a minute.
 */
import { type Condition, findCondition, setCondition } from "../api/mod.ts";
import {
  type EventRecorder,
  isConflict,
  isNotFound,
  type KubeClient,
  type KubeObject,
} from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { AgentEvent, AgentInfo, AgentRegistry } from "./registry.ts";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";

export { LATTICE_CLUSTER_REF };

/** The condition type this writer owns. */
export const AGENT_CONNECTED = "AgentConnected";

/** Options for {@linkcode AgentStatusWriter}. */
export interface AgentStatusWriterOptions {
  /** Records AgentConnected / AgentDisconnected events when given. */
  recorder?: EventRecorder;
  /** Least time between two lastHeartbeat writes of one cluster; default 60 s. */
  heartbeatWriteIntervalMs?: number;
  now?: () => number;
  logger?: Logger;
}

interface ClusterObject extends KubeObject {
  status?: { conditions?: Condition[] };
}

/** Mirrors registry events into LatticeCluster status; see the module doc. */
export class AgentStatusWriter {
  readonly #client: KubeClient;
  readonly #o: AgentStatusWriterOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #queues = new Map<string, Promise<void>>();
  readonly #lastBeatWrite = new Map<string, number>();

  constructor(client: KubeClient, options: AgentStatusWriterOptions = {}) {
    this.#client = client;
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
  }

  /** Follows `registry` until the returned function is called. */
  attach(registry: AgentRegistry): () => void {
    return registry.subscribe((event) => this.#onEvent(event));
  }

  /** Resolves when every queued write has finished (for tests and shutdown). */
  async flush(): Promise<void> {
    while (true) {
      const pending = [...this.#queues.values()];
      await Promise.all(pending);
      if ([...this.#queues.values()].every((p, i) => p === pending[i])) return;
    }
  }

  #onEvent(event: AgentEvent): void {
    switch (event.type) {
      case "connected":
        this.#lastBeatWrite.set(event.info.clusterName, this.#now());
        this.#enqueue(event.info.clusterName, () => this.#writeLink(event.info, true, ""));
        break;
      case "disconnected":
        this.#enqueue(
          event.info.clusterName,
          () => this.#writeLink(event.info, event.missedHeartbeats, event.reason),
        );
        break;
      case "heartbeat": {
        const name = event.info.clusterName;
        const interval = this.#o.heartbeatWriteIntervalMs ?? 60_000;
        if (this.#now() - (this.#lastBeatWrite.get(name) ?? 0) < interval) return;
        this.#lastBeatWrite.set(name, this.#now());
        this.#enqueue(name, () => this.#patch(name, { agent: agentStatus(event.info) }));
        break;
      }
      case "health": {
        const h = event.info.health;
        if (!h) return;
        const nodes = {
          ready: h.readyNodes,
          total: h.totalNodes,
          summary: `${h.readyNodes}/${h.totalNodes}`,
        };
        this.#enqueue(event.info.clusterName, () => this.#patch(event.info.clusterName, { nodes }));
        break;
      }
    }
  }

  #enqueue(name: string, write: () => Promise<void>): void {
    const next = (this.#queues.get(name) ?? Promise.resolve()).then(write).catch((error) => {
      if (isNotFound(error)) return; // an agent without a LatticeCluster here: nothing to show
      this.#log.warn("Cannot write agent status", { cluster: name, error });
    });
    this.#queues.set(name, next);
    next.then(() => {
      if (this.#queues.get(name) === next) this.#queues.delete(name);
    });
  }

  async #patch(name: string, status: Record<string, unknown>): Promise<void> {
    await this.#client.patchStatus(LATTICE_CLUSTER_REF, name, undefined, { status });
  }

  /**
   * Connected/disconnected: status.agent plus the condition, read-modify-write with the
   * resourceVersion so a concurrent reconcile's conditions are never lost; then an Event.
   */
  async #writeLink(info: AgentInfo, notable: boolean, reason: string): Promise<void> {
    const name = info.clusterName;
    for (let attempt = 0;; attempt++) {
      const obj = await this.#client.get<ClusterObject>(LATTICE_CLUSTER_REF, name);
      const before = findCondition(obj.status?.conditions, AGENT_CONNECTED)?.status;
      const conditions = setCondition(obj.status?.conditions, {
        type: AGENT_CONNECTED,
        status: info.connected ? "True" : "False",
        reason: info.connected ? "StreamUp" : notable ? "HeartbeatsMissed" : "StreamClosed",
        message: info.connected
          ? `Agent ${info.agentVersion ?? ""} connected`.replace("  ", " ")
          : `Agent disconnected: ${reason}`,
        observedGeneration: obj.metadata?.generation,
      }, { now: new Date(this.#now()) });
      try {
        await this.#client.patchStatus(LATTICE_CLUSTER_REF, name, undefined, {
          metadata: { resourceVersion: obj.metadata?.resourceVersion },
          status: { agent: agentStatus(info), conditions },
        });
      } catch (error) {
        if (isConflict(error) && attempt < 5) continue;
        throw error;
      }
      // One event per transition: "connected" is reported twice (stream, then AgentReady).
      const changed = before !== (info.connected ? "True" : "False");
      if (this.#o.recorder && changed && (info.connected || notable)) {
        await this.#o.recorder.record(obj, {
          type: info.connected ? "Normal" : "Warning",
          reason: info.connected ? "AgentConnected" : "AgentDisconnected",
          note: info.connected ? "Agent stream connected" : `Agent disconnected: ${reason}`,
          action: "AgentStream",
        });
      }
      return;
    }
  }
}

function agentStatus(info: AgentInfo): Record<string, unknown> {
  return {
    connected: info.connected,
    ...(info.lastHeartbeat ? { lastHeartbeat: rfc3339(info.lastHeartbeat) } : {}),
    ...(info.agentVersion ? { version: info.agentVersion } : {}),
  };
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
