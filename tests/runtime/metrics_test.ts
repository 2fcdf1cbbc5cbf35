import assert from "node:assert/strict";
import { Registry } from "../../lib/runtime/mod.ts";

Deno.test("the registry renders counters, gauges and histograms as Prometheus text", () => {
  const r = new Registry();
  const c = r.counter("req_total", "Requests");
  c.inc({ code: "200" });
  c.inc({ code: "200" }, 2);
  c.inc({ code: 'we"ird\n' });
  r.gauge("depth", "Depth").set({}, 4);
  const h = r.histogram("dur_seconds", "Durations", [0.1, 1]);
  h.observe({ op: "x" }, 0.05);
  h.observe({ op: "x" }, 0.5);
  h.observe({ op: "x" }, 5);
  assert.equal(r.counter("req_total", "again"), c, "same name, same metric");
  assert.equal(
    r.render(),
    [
      "# HELP req_total Requests",
      "# TYPE req_total counter",
      'req_total{code="200"} 3',
      'req_total{code="we\\"ird\\n"} 1',
      "# HELP depth Depth",
      "# TYPE depth gauge",
      "depth 4",
      "# HELP dur_seconds Durations",
      "# TYPE dur_seconds histogram",
      'dur_seconds_bucket{op="x",le="0.1"} 1',
      'dur_seconds_bucket{op="x",le="1"} 2',
      'dur_seconds_bucket{op="x",le="+Inf"} 3',
      'dur_seconds_sum{op="x"} 5.55',
      'dur_seconds_count{op="x"} 3',
      "",
    ].join("\n"),
  );
});
