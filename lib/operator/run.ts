/**
 * Wires the operator process: the probe/metrics server, and the controllers — under a
 * Lease when leader election is on, so only one replica reconciles.
 */
import { latticeMetrics } from "../metrics/mod.ts";
import { observeKubeRequests } from "../kube/request_observer.ts";
import type { KubeClient } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import {
  type Controller,
  LeaderElector,
  type LeaderElectorOptions,
  RuntimeMetrics,
} from "../runtime/mod.ts";
import { createOperatorApp, type Readiness } from "./server.ts";

/**
 * Builds the controllers of one leadership term (they are run once per term). It may also
 * start term-scoped services (a cell's servers, the agent stream) and stop them when
 * `signal` aborts at the end of the term.
 */
export type ControllerFactory = (deps: {
  client: KubeClient;
  logger: Logger;
  metrics: RuntimeMetrics;
  /** Aborts when this leadership term (or the process) ends. */
  signal: AbortSignal;
}) => Controller[] | Promise<Controller[]>;

/** Options for {@linkcode runOperator}. */
export interface RunOperatorOptions {
  controllers: ControllerFactory;
  logger?: Logger;
  metrics?: RuntimeMetrics;
  /** Probe/metrics listener; default 0.0.0.0:8080. Port 0 picks a free one. */
  hostname?: string;
  port?: number;
  /** Called with the bound port once listening. */
  onListen?: (port: number) => void;
  /**
   * Whether a replica waiting for the Lease reports ready (default true). False for cells:
   * their Service must route webhook, proxy and agent traffic to the leader only.
   */
  standbyReady?: boolean;
  /** Campaign for this Lease before reconciling; reconcile at once when absent. */
  leaderElection?: Omit<LeaderElectorOptions, "logger" | "metrics">;
  /** Stops the operator: controllers drain, the lease is released, the server closes. */
  signal: AbortSignal;
}

/** Runs the operator until `signal` aborts. */
export async function runOperator(client: KubeClient, options: RunOperatorOptions): Promise<void> {
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? new RuntimeMetrics();
  metrics.registry.include(latticeMetrics.registry);
  const unobserve = observeKubeRequests(({ method, host, code, seconds }) => {
    metrics.restRequests.inc({ code, method, host });
    metrics.restLatency.observe({ verb: method, host }, seconds);
  });
  let current: Controller[] = [];
  let elector: LeaderElector | undefined;
  const readiness = (): Readiness => {
    if (elector && !elector.isLeader) {
      return { ready: options.standbyReady ?? true, checks: { leader: "standby" } };
    }
    const checks: Record<string, boolean> = {};
    for (const c of current) checks[`controller/${c.name}`] = c.isReady;
    const started = !elector || current.length > 0 || elector.isLeader;
    return { ready: started && Object.values(checks).every(Boolean), checks };
  };
  const app = createOperatorApp({ registry: metrics.registry, readiness });
  const server = Deno.serve({
    hostname: options.hostname ?? "0.0.0.0",
    port: options.port ?? 8080,
    signal: options.signal,
    onListen: ({ port }) => {
      logger.info("Serving probes and metrics", { port });
      options.onListen?.(port);
    },
  }, app.fetch);

  const lead = async (signal: AbortSignal) => {
    current = await options.controllers({ client, logger, metrics, signal });
    await Promise.all(current.map((c) => c.run(signal)));
  };
  try {
    if (options.leaderElection) {
      elector = new LeaderElector(client, { ...options.leaderElection, logger, metrics });
      await elector.run(options.signal, lead);
    } else {
      await lead(options.signal);
    }
  } finally {
    unobserve();
    await server.finished;
    logger.info("Operator stopped");
  }
}
