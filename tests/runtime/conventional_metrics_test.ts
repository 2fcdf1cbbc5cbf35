/**
 * The runtime's metrics carry controller-runtime's and client-go's names and labels, exist
 * at zero from the start, and include the process metrics; Lattice's own families too.
 */
import assert from "node:assert/strict";
import { RuntimeMetrics } from "../../lib/runtime/runtime_metrics.ts";
import { LatticeMetrics } from "../../lib/metrics/mod.ts";

Deno.test("a new controller's series exist at zero under controller-runtime's names", () => {
  const metrics = new RuntimeMetrics();
  metrics.initController("latticeclusters");
  const text = metrics.registry.render();
  for (const result of ["success", "error", "requeue", "requeue_after"]) {
    assert.ok(
      text.includes(
        `controller_runtime_reconcile_total{controller="latticeclusters",result="${result}"} 0`,
      ),
      result,
    );
  }
  for (
    const series of [
      'controller_runtime_reconcile_errors_total{controller="latticeclusters"} 0',
      'controller_runtime_terminal_reconcile_errors_total{controller="latticeclusters"} 0',
      'controller_runtime_reconcile_time_seconds_count{controller="latticeclusters"} 0',
      'controller_runtime_active_workers{controller="latticeclusters"} 0',
      "# TYPE rest_client_requests_total counter",
      "# TYPE rest_client_request_duration_seconds histogram",
    ]
  ) assert.ok(text.includes(series), series);
  assert.doesNotMatch(text, /lattice_reconcile_total|lattice_workqueue/);
});

Deno.test("process metrics are read at scrape time", () => {
  const text = new RuntimeMetrics().registry.render();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
  assert.ok(value("process_resident_memory_bytes") > 1 << 20);
  assert.ok(value("process_cpu_seconds_total") > 0);
  const start = value("process_start_time_seconds");
  assert.ok(start > Date.now() / 1000 - 3600 && start <= Date.now() / 1000 + 1, String(start));
  assert.ok(value("process_open_fds") > 0);
  assert.ok(value("process_max_fds") > 0);
  assert.ok(value("process_virtual_memory_bytes") > 0);
});

Deno.test("Lattice's own families exist at zero and render after the runtime's", () => {
  const lattice = new LatticeMetrics();
  const runtime = new RuntimeMetrics();
  runtime.registry.include(lattice.registry);
  runtime.registry.include(lattice.registry);
  lattice.move("pivot", "success", 2);
  lattice.proxyRequests.inc({ code: "200", method: "GET" });
  const text = runtime.registry.render();
  for (
    const series of [
      "lattice_agents_connected 0",
      "lattice_agent_heartbeat_age_seconds_count 0",
      'lattice_pivots_total{result="success"} 1',
      'lattice_pivots_total{result="failure"} 0',
      'lattice_pivot_duration_seconds_bucket{result="success",le="2.5"} 1',
      'lattice_unpivots_total{result="success"} 0',
      'lattice_webhook_registrations_total{result="accepted"} 0',
      'lattice_proxy_requests_total{code="200",method="GET"} 1',
      "# TYPE lattice_proxy_request_duration_seconds histogram",
    ]
  ) assert.ok(text.includes(series), series);
  assert.equal(text.split("# TYPE lattice_pivots_total").length, 2, "included once");
});
