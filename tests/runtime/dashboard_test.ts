/**
 * The Grafana dashboard and the ServiceMonitor in monitoring/ name only metrics the
 * operator exports, and the ServiceMonitor scrapes a port the operator's Service has.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { RuntimeMetrics } from "../../lib/runtime/runtime_metrics.ts";
import { LatticeMetrics } from "../../lib/metrics/mod.ts";
import { installBundle } from "../../lib/bundle/mod.ts";

const root = new URL("../../", import.meta.url);

Deno.test("every dashboard query names an exported metric", () => {
  const runtime = new RuntimeMetrics();
  runtime.registry.include(new LatticeMetrics().registry);
  const exported = new Set(
    [...runtime.registry.render().matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
      type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]
    ),
  );
  const dashboard = JSON.parse(
    Deno.readTextFileSync(new URL("monitoring/grafana-dashboard.json", root)),
  ) as { panels: { title: string; targets: { expr: string }[] }[] };
  assert.ok(dashboard.panels.length >= 10);
  const names = dashboard.panels.flatMap((p) =>
    p.targets.flatMap((t) =>
      [...t.expr.matchAll(/\b([a-z_]+(?:_total|_seconds|_bucket|_bytes|_depth|_connected))\b/g)]
        .map((m) => m[1])
    )
  );
  for (
    const family of ["controller_runtime_", "workqueue_", "rest_client_", "process_", "lattice_"]
  ) {
    assert.ok(names.some((n) => n.startsWith(family)), `a panel on ${family}*`);
  }
  for (const name of names) assert.ok(exported.has(name), `${name} is exported`);
});

Deno.test("the ServiceMonitor scrapes the operator Service's metrics port", () => {
  const monitor = parse(
    Deno.readTextFileSync(new URL("monitoring/servicemonitor.yaml", root)),
  ) as {
    kind: string;
    spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
  };
  assert.equal(monitor.kind, "ServiceMonitor");
  const service = installBundle().find((o) => o.kind === "Service") as unknown as {
    metadata: { labels: Record<string, string> };
    spec: { ports: { name: string }[] };
  };
  for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) {
    assert.equal(service.metadata.labels[k], v, k);
  }
  const ports = service.spec.ports.map((p) => p.name);
  for (const e of monitor.spec.endpoints) assert.ok(ports.includes(e.port), e.port);
});
