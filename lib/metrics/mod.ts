/**
 * Lattice's own metrics, process-wide (one registry the operator's /metrics renders after
 * the runtime's): agents connected, heartbeat age, pivots and unpivots by result and
 * duration, proxy requests by code and latency, webhook registrations by result.
 * docs/metrics.md lists them with the dashboard and alerts that use them.
 *
 * @module
 */
import { Registry } from "../runtime/metrics.ts";

/** Results of a pivot or unpivot. */
export const MOVE_RESULTS = ["success", "failure"] as const;
/** Outcomes of a webhook registration. */
export const REGISTRATION_RESULTS = ["accepted", "refused", "failed"] as const;

/** The metric families, created with every fixed-label series at zero. */
export class LatticeMetrics {
  readonly registry = new Registry();
  /** lattice_agents_connected: child agents with a live stream to this process's cells. */
  readonly agentsConnected = this.registry.gauge(
    "lattice_agents_connected",
    "Child agents with a live stream to this cell",
  );
  /** lattice_agent_heartbeat_age_seconds: time since an agent's previous heartbeat. */
  readonly heartbeatAge = this.registry.histogram(
    "lattice_agent_heartbeat_age_seconds",
    "Seconds between consecutive heartbeats of an agent (at arrival)",
    [1, 2.5, 5, 10, 15, 30, 45, 60, 90, 120, 300],
  );
  /** lattice_pivots_total{result}. */
  readonly pivots = this.registry.counter("lattice_pivots_total", "Pivots by result");
  /** lattice_pivot_duration_seconds{result}. */
  readonly pivotDuration = this.registry.histogram(
    "lattice_pivot_duration_seconds",
    "Duration of pivots",
    [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  );
  /** lattice_unpivots_total{result}. */
  readonly unpivots = this.registry.counter("lattice_unpivots_total", "Unpivots by result");
  /** lattice_unpivot_duration_seconds{result}. */
  readonly unpivotDuration = this.registry.histogram(
    "lattice_unpivot_duration_seconds",
    "Duration of unpivots",
    [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  );
  /** lattice_proxy_requests_total{code,method}. */
  readonly proxyRequests = this.registry.counter(
    "lattice_proxy_requests_total",
    "Requests through the cell's Kubernetes API proxy by status code and method",
  );
  /** lattice_proxy_request_duration_seconds{method}: until the response headers. */
  readonly proxyLatency = this.registry.histogram(
    "lattice_proxy_request_duration_seconds",
    "Latency of proxied requests until the response headers",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  /** lattice_webhook_registrations_total{result}. */
  readonly registrations = this.registry.counter(
    "lattice_webhook_registrations_total",
    "Bootstrap webhook registrations by result",
  );

  constructor() {
    this.agentsConnected.touch();
    this.heartbeatAge.touch({});
    for (const result of MOVE_RESULTS) {
      this.pivots.touch({ result });
      this.unpivots.touch({ result });
      this.pivotDuration.touch({ result });
      this.unpivotDuration.touch({ result });
    }
    for (const result of REGISTRATION_RESULTS) this.registrations.touch({ result });
  }

  /** Records a pivot (or, with `unpivot`, an unpivot) that took `seconds`. */
  move(kind: "pivot" | "unpivot", result: (typeof MOVE_RESULTS)[number], seconds: number): void {
    (kind === "pivot" ? this.pivots : this.unpivots).inc({ result });
    (kind === "pivot" ? this.pivotDuration : this.unpivotDuration).observe({ result }, seconds);
  }
}

/** The process's Lattice metrics. */
export const latticeMetrics: LatticeMetrics = new LatticeMetrics();
