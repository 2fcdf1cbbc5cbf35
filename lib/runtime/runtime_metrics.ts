/**
 * The runtime's metrics, named and labelled as controller-runtime and client-go name
 * theirs, so the dashboards and alerts written for every Go controller work unchanged:
 * controller_runtime_reconcile_total{controller,result}, controller_runtime_reconcile_time_seconds,
 * workqueue_depth{name,controller}, workqueue_adds_total, rest_client_requests_total{code,method,host},
 * ... and the process_* metrics. Every series of a controller and its queue exists (at 0)
 * from the moment the controller is created. One instance per process registry.
 */
import { type Counter, type Gauge, type Histogram, Registry } from "./metrics.ts";
import { registerProcessMetrics } from "./process_metrics.ts";

/** controller-runtime's reconcile results (a terminal error counts as "error"). */
export const RECONCILE_RESULTS = ["success", "error", "requeue", "requeue_after"] as const;

/** The runtime's metric families in one registry. */
export class RuntimeMetrics {
  /** The registry they render from. */
  readonly registry: Registry;
  /** controller_runtime_reconcile_total{controller,result}. */
  readonly reconcileTotal: Counter;
  /** controller_runtime_reconcile_errors_total{controller}. */
  readonly reconcileErrors: Counter;
  /** controller_runtime_terminal_reconcile_errors_total{controller}. */
  readonly terminalErrors: Counter;
  /** controller_runtime_reconcile_time_seconds{controller}. */
  readonly reconcileDuration: Histogram;
  /** controller_runtime_active_workers{controller}. */
  readonly activeWorkers: Gauge;
  /** workqueue_depth{name,controller}. */
  readonly queueDepth: Gauge;
  /** workqueue_adds_total{name,controller}. */
  readonly queueAdds: Counter;
  /** workqueue_queue_duration_seconds{name,controller}: from add to a worker taking it. */
  readonly queueLatency: Histogram;
  /** workqueue_work_duration_seconds{name,controller}. */
  readonly queueWork: Histogram;
  /** workqueue_retries_total{name,controller}. */
  readonly queueRetries: Counter;
  /** rest_client_requests_total{code,method,host}. */
  readonly restRequests: Counter;
  /** rest_client_request_duration_seconds{verb,host}. */
  readonly restLatency: Histogram;
  /** lattice_watch_restarts_total{resource,reason}. */
  readonly watchRestarts: Counter;
  /** lattice_watch_events_total{resource,type}. */
  readonly watchEvents: Counter;
  /** leader_election_master_status{name}: 1 while this process holds the lease. */
  readonly leader: Gauge;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    this.reconcileTotal = registry.counter(
      "controller_runtime_reconcile_total",
      "Total number of reconciliations per controller",
    );
    this.reconcileErrors = registry.counter(
      "controller_runtime_reconcile_errors_total",
      "Total number of reconciliation errors per controller",
    );
    this.terminalErrors = registry.counter(
      "controller_runtime_terminal_reconcile_errors_total",
      "Total number of terminal reconciliation errors per controller",
    );
    this.reconcileDuration = registry.histogram(
      "controller_runtime_reconcile_time_seconds",
      "Length of time per reconciliation per controller",
      [
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.15,
        0.2,
        0.25,
        0.3,
        0.35,
        0.4,
        0.45,
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
        1,
        1.25,
        1.5,
        1.75,
        2,
        2.5,
        3,
        3.5,
        4,
        4.5,
        5,
        6,
        7,
        8,
        9,
        10,
        15,
        20,
        25,
        30,
        40,
        50,
        60,
      ],
    );
    this.activeWorkers = registry.gauge(
      "controller_runtime_active_workers",
      "Number of currently used workers per controller",
    );
    this.queueDepth = registry.gauge("workqueue_depth", "Current depth of workqueue");
    this.queueAdds = registry.counter(
      "workqueue_adds_total",
      "Total number of adds handled by workqueue",
    );
    const queueBuckets = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];
    this.queueLatency = registry.histogram(
      "workqueue_queue_duration_seconds",
      "How long in seconds an item stays in workqueue before being requested",
      queueBuckets,
    );
    this.queueWork = registry.histogram(
      "workqueue_work_duration_seconds",
      "How long in seconds processing an item from workqueue takes",
      queueBuckets,
    );
    this.queueRetries = registry.counter(
      "workqueue_retries_total",
      "Total number of retries handled by workqueue",
    );
    this.restRequests = registry.counter(
      "rest_client_requests_total",
      "Number of HTTP requests, partitioned by status code, method, and host",
    );
    this.restLatency = registry.histogram(
      "rest_client_request_duration_seconds",
      "Request latency in seconds. Broken down by verb, and host",
      [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    );
    this.watchRestarts = registry.counter(
      "lattice_watch_restarts_total",
      "Watch restarts by reason",
    );
    this.watchEvents = registry.counter("lattice_watch_events_total", "Watch events by type");
    this.leader = registry.gauge(
      "leader_election_master_status",
      "1 while this process holds the named lease, 0 otherwise",
    );
    registerProcessMetrics(registry);
  }

  /** Creates a controller's series at zero (called when the controller is built). */
  initController(controller: string): void {
    for (const result of RECONCILE_RESULTS) this.reconcileTotal.touch({ controller, result });
    this.reconcileErrors.touch({ controller });
    this.terminalErrors.touch({ controller });
    this.reconcileDuration.touch({ controller });
    this.activeWorkers.touch({ controller });
  }

  /** Creates a work queue's series at zero (called when the queue is built). */
  initQueue(name: string): void {
    const labels = { name, controller: name };
    this.queueDepth.touch(labels);
    this.queueAdds.touch(labels);
    this.queueRetries.touch(labels);
    this.queueLatency.touch(labels);
    this.queueWork.touch(labels);
  }
}
