/**
 * The operator's HTTP surface for kubelet probes and Prometheus: /healthz (the process
 * answers), /readyz (caches synced, or standing by as a follower), /metrics.
 */
import { Hono } from "hono";
import type { Registry } from "../runtime/mod.ts";

/** What /readyz reports. */
export interface Readiness {
  ready: boolean;
  /** Per-check state, shown in the body (e.g. controller name → synced). */
  checks: Record<string, boolean | string>;
}

/** Options for {@linkcode createOperatorApp}. */
export interface OperatorAppOptions {
  registry: Registry;
  readiness: () => Readiness;
}

/** The probe and metrics app; unit-test it with `app.request()`. */
export function createOperatorApp(options: OperatorAppOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.text("ok\n"));
  app.get("/readyz", (c) => {
    const { ready, checks } = options.readiness();
    const lines = Object.entries(checks).map(([k, v]) =>
      `[${v === false ? "-" : "+"}]${k} ${v === false ? "not ready" : v === true ? "ok" : v}`
    );
    return c.text([...lines, ready ? "ok" : "not ready"].join("\n") + "\n", ready ? 200 : 503);
  });
  app.get("/metrics", (c) =>
    c.body(options.registry.render(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }));
  app.notFound((c) => c.json(status(404, "NotFound", `Cannot find ${c.req.path}`), 404));
  app.onError((error, c) => c.json(status(500, "InternalError", error.message), 500));
  return app;
}

function status(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message };
}
