/**
 * The parent's side of "git still drives the child" after the pivot.
 *
 * - {@linkcode SpecSyncer}: the parent's copy of a pivoted child's LatticeCluster is the
 *   desired spec. Level-triggered: whenever the hash the child reports in its heartbeat
 *   differs from the hash of the copy, the copy is sent (ClusterSpecSync) — so a change made
 *   while the link was down is delivered when it comes back, and a local edit on the child is
 *   overwritten by the next heartbeat.
 * - {@linkcode ChildStatusWriter}: the child's own view of itself (phase, version, nodes,
 *   Flux, last reconcile) from each heartbeat into the copy's `status.pivoted`, written only
 *   when it changed.
 */
import { Buffer } from "node:buffer";
import type { AgentRegistry } from "../cell/registry.ts";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";
import type { KubeClient } from "../kube/mod.ts";
import { isNotFound } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { ChildClusterStatus } from "../proto/lattice/agent/v1/agent.ts";
import { specHash } from "./spec.ts";

/** The registry calls the syncer makes (an AgentRegistry satisfies it). */
export type SyncRegistry = Pick<AgentRegistry, "get" | "sendCommand" | "subscribe">;

/** Where the sync of one child stands, for its conditions. */
export type SyncState =
  | { state: "synced"; hash: string }
  | { state: "sending"; hash: string }
  | { state: "disconnected"; hash: string }
  | { state: "unknown"; hash: string }
  | { state: "failed"; hash: string; error: string };

interface Desired {
  spec: Record<string, unknown>;
  hash: string;
  generation: number;
}

/** Options for {@linkcode SpecSyncer}. */
export interface SpecSyncerOptions {
  /** Wait this long for the agent's acknowledgement; default 30 s. */
  timeoutMs?: number;
  /** Called after a send settled (the controller requeues the cluster). */
  onSettled?: (clusterName: string) => void;
  logger?: Logger;
}

/** Sends each pivoted child the parent's copy of its spec whenever the child differs. */
export class SpecSyncer {
  readonly #registry: SyncRegistry;
  readonly #o: SpecSyncerOptions;
  readonly #log: Logger;
  readonly #desired = new Map<string, Desired>();
  /** Hash the child last reported (heartbeat) or confirmed (ack). */
  readonly #reported = new Map<string, string>();
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #errors = new Map<string, { hash: string; error: string }>();
  #detach?: () => void;

  constructor(registry: SyncRegistry, options: SpecSyncerOptions = {}) {
    this.#registry = registry;
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ component: "spec-sync" });
  }

  /** Follows heartbeats until {@linkcode close}. */
  start(): void {
    this.#detach ??= this.#registry.subscribe((event) => {
      if (event.type !== "message") return;
      const payload = event.message.payload;
      if (payload?.$case !== "heartbeat" || !payload.value.specHash) return;
      this.#reported.set(event.clusterName, payload.value.specHash);
      this.#maybeSend(event.clusterName);
    });
  }

  close(): void {
    this.#detach?.();
    this.#detach = undefined;
  }

  /** The hash the child last reported, if any. */
  reported(clusterName: string): string | undefined {
    return this.#reported.get(clusterName);
  }

  /**
   * Records the copy's spec as desired for `clusterName` and sends it if the child differs.
   * Called by the cluster controller on every reconcile of a pivoted child.
   */
  offer(clusterName: string, spec: Record<string, unknown>, generation: number): SyncState {
    const hash = specHash(spec);
    this.#desired.set(clusterName, { spec, hash, generation });
    this.#maybeSend(clusterName);
    return this.state(clusterName);
  }

  /** Where the sync of `clusterName` stands. */
  state(clusterName: string): SyncState {
    const desired = this.#desired.get(clusterName);
    const hash = desired?.hash ?? "";
    if (this.#reported.get(clusterName) === hash && desired) return { state: "synced", hash };
    if (this.#inflight.has(clusterName)) return { state: "sending", hash };
    const failed = this.#errors.get(clusterName);
    if (failed && failed.hash === hash) return { state: "failed", hash, error: failed.error };
    if (!this.#registry.get(clusterName)?.connected) return { state: "disconnected", hash };
    return { state: this.#reported.has(clusterName) ? "sending" : "unknown", hash };
  }

  /** Stops syncing a cluster (deleted, or being unpivoted). */
  forget(clusterName: string): void {
    this.#desired.delete(clusterName);
    this.#errors.delete(clusterName);
  }

  /** Resolves when no send is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all(this.#inflight.values());
  }

  #maybeSend(clusterName: string): void {
    const desired = this.#desired.get(clusterName);
    if (!desired || this.#inflight.has(clusterName)) return;
    const reported = this.#reported.get(clusterName);
    if (reported === undefined || reported === desired.hash) return;
    if (!this.#registry.get(clusterName)?.connected) return;
    const send = this.#registry.sendCommand(clusterName, {
      $case: "specSync",
      value: {
        clusterName,
        spec: Buffer.from(JSON.stringify(desired.spec)),
        specHash: desired.hash,
        generation: desired.generation,
      },
    }, { timeoutMs: this.#o.timeoutMs ?? 30_000 }).then(() => {
      // The ack proves the child holds it; its next heartbeat says so too.
      this.#reported.set(clusterName, desired.hash);
      this.#errors.delete(clusterName);
      this.#log.info("Delivered spec to child", { cluster: clusterName, hash: desired.hash });
      return true;
    }, (error: Error) => {
      this.#errors.set(clusterName, { hash: desired.hash, error: error.message });
      this.#log.warn("Cannot deliver spec to child; retried on its next heartbeat", {
        cluster: clusterName,
        error,
      });
      return false;
    }).then((delivered) => {
      this.#inflight.delete(clusterName);
      this.#o.onSettled?.(clusterName);
      // The copy may have changed while this one was in flight; a failure waits for the
      // next heartbeat or reconcile instead of retrying in a loop.
      if (delivered) this.#maybeSend(clusterName);
    });
    this.#inflight.set(clusterName, send);
  }
}

/** The `status.pivoted` view written from a heartbeat. */
export function pivotedView(
  status: ChildClusterStatus,
  specHash: string,
  now: Date,
): Record<string, unknown> {
  return {
    phase: status.phase || undefined,
    kubernetesVersion: status.kubernetesVersion || undefined,
    nodes: { ready: status.readyNodes, total: status.totalNodes },
    fluxVersion: status.fluxVersion || undefined,
    lastReconciled: status.lastReconciled || undefined,
    specHash: specHash || undefined,
    children: status.children,
    reportedAt: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    stale: false,
  };
}

/** Options for {@linkcode ChildStatusWriter}. */
export interface ChildStatusWriterOptions {
  /** Rewrite an unchanged view at most this often (refreshes reportedAt); default 60 s. */
  refreshMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/** Mirrors each pivoted child's reported view into `status.pivoted` of its copy. */
export class ChildStatusWriter {
  readonly #client: KubeClient;
  readonly #o: ChildStatusWriterOptions;
  readonly #last = new Map<string, { key: string; at: number }>();
  readonly #queues = new Map<string, Promise<void>>();

  constructor(client: KubeClient, options: ChildStatusWriterOptions = {}) {
    this.#client = client;
    this.#o = options;
  }

  /** Follows `registry` until the returned function is called. */
  attach(registry: Pick<AgentRegistry, "subscribe">): () => void {
    return registry.subscribe((event) => {
      if (event.type !== "message") return;
      const payload = event.message.payload;
      if (payload?.$case !== "heartbeat" || !payload.value.clusterStatus) return;
      this.#write(event.clusterName, payload.value.clusterStatus, payload.value.specHash);
    });
  }

  /** Resolves when every queued write finished. */
  async flush(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all(this.#queues.values());
  }

  #write(name: string, status: ChildClusterStatus, hash: string): void {
    const now = this.#o.now?.() ?? new Date();
    const key = JSON.stringify([status, hash]);
    const last = this.#last.get(name);
    if (last?.key === key && now.getTime() - last.at < (this.#o.refreshMs ?? 60_000)) return;
    if (this.#queues.has(name)) return; // the next heartbeat brings a fresher one
    this.#last.set(name, { key, at: now.getTime() });
    const write = this.#client.patchStatus(LATTICE_CLUSTER_REF, name, undefined, {
      status: { pivoted: pivotedView(status, hash, now) },
    }).then(() => {}, (error) => {
      this.#last.delete(name);
      if (isNotFound(error)) return;
      (this.#o.logger ?? silentLogger).warn("Cannot write the child's view", {
        cluster: name,
        error,
      });
    }).finally(() => this.#queues.delete(name));
    this.#queues.set(name, write);
  }
}
