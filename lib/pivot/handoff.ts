/**
 * The adapter between the cluster controller and runPivot: the controller asks on every
 * reconcile "is the pivot of this cluster done?" and must not block, while a pivot takes
 * seconds. Runs one pivot per cluster in the background and answers from its last result.
 */
import { latticeMetrics } from "../metrics/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { PivotClient } from "./_client.ts";
import { latticeClusterProgressStore, type ProgressStore } from "./progress.ts";
import { type PivotResult, type PivotScope, runPivot, type RunPivotOptions } from "./source.ts";
import type { PivotTransport } from "./types.ts";

/** Options for {@linkcode createPivotHandoff}. */
export interface PivotHandoffOptions extends RunPivotOptions {
  /** The cell's API server. */
  client: PivotClient;
  /** The stream to a child's agent; undefined while it is not connected. */
  transportFor(clusterName: string): PivotTransport | undefined;
  /** Namespace of a cluster's CAPI objects; default `capi-<name>`. */
  namespaceFor?(clusterName: string): string;
  /** Where progress lives; default the LatticeCluster's status. */
  progressFor?(clusterName: string): ProgressStore;
  /**
   * Aborts every running pivot (shutdown, end of the leadership term): each stops at its
   * next API call or wait, leaving its persisted progress for the next leader to resume.
   */
  signal?: AbortSignal;
  /** runPivot itself; replaceable in tests. */
  run?: (scope: PivotScope, options: RunPivotOptions) => Promise<PivotResult>;
}

/** What {@linkcode createPivotHandoff} returns. */
export interface PivotHandoffRunner {
  /** Starts or checks the pivot of a LatticeCluster; never waits for the pivot itself. */
  handoff(cluster: { metadata: { name: string } }): Promise<"done" | "in-progress">;
  /** The last result per cluster name. */
  readonly results: ReadonlyMap<string, PivotResult>;
  /** Resolves when no pivot is running (shutdown, tests). */
  idle(): Promise<void>;
}

/** Creates the controller's pivot hand-off. */
export function createPivotHandoff(options: PivotHandoffOptions): PivotHandoffRunner {
  const log: Logger = (options.logger ?? silentLogger).child({ component: "pivot-handoff" });
  const now = options.now ?? (() => new Date());
  const run = options.run ?? runPivot;
  const results = new Map<string, PivotResult>();
  const running = new Map<string, Promise<void>>();
  const notBefore = new Map<string, number>();
  // When this process first ran a cluster's pivot (lattice_pivot_duration_seconds).
  const started = new Map<string, number>();
  const namespaceFor = options.namespaceFor ?? ((name: string) => `capi-${name}`);
  const progressFor = options.progressFor ??
    ((name: string) => latticeClusterProgressStore(options.client, name, { now }));

  return {
    results,
    async handoff(cluster) {
      const name = cluster.metadata.name;
      if (results.get(name)?.done) return "done";
      if (options.signal?.aborted) return "in-progress";
      if (running.has(name) || (notBefore.get(name) ?? 0) > now().getTime()) return "in-progress";
      const transport = options.transportFor(name);
      if (!transport) {
        // A pivot finished before a restart needs no agent to report done.
        const persisted = await progressFor(name).load();
        return persisted?.phase === "Done" ? "done" : "in-progress";
      }
      const scope: PivotScope = {
        client: options.client,
        clusterName: name,
        namespace: namespaceFor(name),
        transport,
        progress: progressFor(name),
      };
      if (!started.has(name)) started.set(name, now().getTime());
      const task = run(scope, options).then((result) => {
        results.set(name, result);
        if (result.done || result.phase === "Aborted") {
          const seconds = (now().getTime() - (started.get(name) ?? now().getTime())) / 1000;
          latticeMetrics.move("pivot", result.done ? "success" : "failure", seconds);
          started.delete(name);
        }
        if (result.requeueAfterMs) notBefore.set(name, now().getTime() + result.requeueAfterMs);
      }, (error) => {
        if (options.signal?.aborted) log.info("Pivot stopped; it resumes under the next leader");
        else log.warn("Pivot attempt failed; will retry", { cluster: name, error });
      }).finally(() => running.delete(name));
      running.set(name, task);
      return "in-progress";
    },
    async idle() {
      while (running.size > 0) await Promise.all(running.values());
    },
  };
}
