/**
 * The runtime's metrics: reconcile counts by result and durations, queue depth, latency
 * and retries, watch restarts and events. One instance per process registry.
 */
import { type Counter, type Gauge, type Histogram, Registry } from "./metrics.ts";

/** The runtime's metric families in one registry. */
export class RuntimeMetrics {
  /** The registry they render from. */
  readonly registry: Registry;
  /** lattice_reconcile_total{controller,result}: result is success|requeue|error|terminal. */
  readonly reconcileTotal: Counter;
  /** lattice_reconcile_duration_seconds{controller}. */
  readonly reconcileDuration: Histogram;
  /** lattice_workqueue_depth{name}. */
  readonly queueDepth: Gauge;
  /** lattice_workqueue_adds_total{name}. */
  readonly queueAdds: Counter;
  /** lattice_workqueue_queue_duration_seconds{name}: time from add to a worker taking it. */
  readonly queueLatency: Histogram;
  /** lattice_workqueue_work_duration_seconds{name}. */
  readonly queueWork: Histogram;
  /** lattice_workqueue_retries_total{name}. */
  readonly queueRetries: Counter;
  /** lattice_watch_restarts_total{resource,reason}. */
  readonly watchRestarts: Counter;
  /** lattice_watch_events_total{resource,type}. */
  readonly watchEvents: Counter;
  /** lattice_leader{lease}: 1 while this process holds the lease. */
  readonly leader: Gauge;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    this.reconcileTotal = registry.counter("lattice_reconcile_total", "Reconciles by result");
    this.reconcileDuration = registry.histogram(
      "lattice_reconcile_duration_seconds",
      "Duration of reconciles",
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    );
    this.queueDepth = registry.gauge("lattice_workqueue_depth", "Keys waiting in the queue");
    this.queueAdds = registry.counter("lattice_workqueue_adds_total", "Keys added");
    this.queueLatency = registry.histogram(
      "lattice_workqueue_queue_duration_seconds",
      "Time a key waits before a worker takes it",
    );
    this.queueWork = registry.histogram(
      "lattice_workqueue_work_duration_seconds",
      "Time a worker holds a key",
    );
    this.queueRetries = registry.counter("lattice_workqueue_retries_total", "Rate-limited re-adds");
    this.watchRestarts = registry.counter(
      "lattice_watch_restarts_total",
      "Watch restarts by reason",
    );
    this.watchEvents = registry.counter("lattice_watch_events_total", "Watch events by type");
    this.leader = registry.gauge("lattice_leader", "1 while this process leads");
  }
}
