/**
 * The fleet page a cell serves (Hono): `/fleet/` (one HTML page, its script and style, no
 * build step, no CDN) and its API under `/fleet/api/` — the visible state, its live updates
 * as server-sent events, one cluster's detail and a kubeconfig reaching it through the
 * cell's proxy. The API authenticates like the proxy (bearer token, TokenReview) and shows
 * a caller only the clusters `get` on `latticeclusters/{name}` allows (access.ts).
 */
import { Hono } from "hono";
import { StatusError, statusErrorHandler } from "../../cell/errors.ts";
import { type Logger, silentLogger } from "../../log/mod.ts";
import type { Authenticator } from "../../proxy/auth.ts";
import type { Identity } from "../../proxy/identity.ts";
import { proxyKubeconfig } from "../../proxy/kubeconfig.ts";
import type { FleetState } from "../state.ts";
import { detailOf } from "../view.ts";
import { callerOf, type ViewAuthorizer, Visibility } from "./access.ts";
import { PAGE_CSS } from "./page_css.ts";
import { PAGE_HTML } from "./page_html.ts";
import { PAGE_JS } from "./page_js.ts";
import { FleetEventHub, type SseLimits, visibleSnapshot } from "./sse.ts";

/** Options for {@linkcode fleetApp}. */
export interface FleetAppOptions {
  state: FleetState;
  authenticator: Authenticator;
  authorizer: ViewAuthorizer;
  /** The cell's base URL, for kubeconfigs (the proxy's server). */
  cellUrl: () => string;
  /** The CA of the cell's serving certificate, put into kubeconfigs. */
  caPem?: string;
  sse?: Partial<SseLimits>;
  logger?: Logger;
}

/** The app and its event hub (close it on shutdown). */
export interface FleetApp {
  app: Hono;
  hub: FleetEventHub;
}

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "connect-src 'self'; img-src 'self' blob: data:; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** The hops from the cell to `name` (`["mgmt", "workload"]`), or undefined. */
export function hopsTo(state: FleetState, name: string): string[] | undefined {
  const hops: string[] = [];
  let cur = state.get(name);
  while (cur && cur.name !== state.self) {
    hops.unshift(cur.name);
    if (hops.length > 64) return undefined;
    cur = state.get(cur.parent);
  }
  return cur ? hops : undefined;
}

/** See the module doc. */
export function fleetApp(options: FleetAppOptions): FleetApp {
  const log = options.logger ?? silentLogger;
  const hub = new FleetEventHub(options.state, options.sse);
  const app = new Hono();
  app.onError(statusErrorHandler({ logger: log }));

  const identify = async (request: Request): Promise<{ identity: Identity; token: string }> => {
    const caller = await callerOf(request, options.authenticator);
    if ("status" in caller) {
      throw new StatusError(caller.status, caller.message, {
        headers: caller.status === 401 ? { "WWW-Authenticate": 'Bearer realm="lattice"' } : {},
      });
    }
    const token = /^Bearer\s+(\S+)/i.exec(request.headers.get("authorization") ?? "")![1];
    return { identity: caller.identity, token };
  };
  const visibility = (identity: Identity) =>
    Visibility.of(options.authorizer, identity).catch((cause) => {
      throw new StatusError(503, "Cannot authorize: the access review failed", { cause });
    });
  const visibleEntry = async (identity: Identity, name: string) => {
    const entry = options.state.get(name);
    const v = await visibility(identity);
    await v.review([name]);
    if (!entry || !v.sees(name)) {
      // Not telling apart "absent" from "hidden".
      throw new StatusError(404, `Cannot find cluster ${name}`, {
        details: { name, kind: "latticeclusters" },
      });
    }
    return entry;
  };

  app.get("/fleet", (c) => c.redirect("/fleet/", 301));
  app.get("/fleet/", (c) => c.html(PAGE_HTML, 200, SECURITY_HEADERS));
  app.get(
    "/fleet/app.js",
    (c) =>
      c.body(PAGE_JS, 200, {
        ...SECURITY_HEADERS,
        "content-type": "text/javascript; charset=utf-8",
      }),
  );
  app.get(
    "/fleet/app.css",
    (c) =>
      c.body(PAGE_CSS, 200, { ...SECURITY_HEADERS, "content-type": "text/css; charset=utf-8" }),
  );

  app.get("/fleet/api/state", async (c) => {
    const { identity } = await identify(c.req.raw);
    return c.json(await visibleSnapshot(options.state, await visibility(identity)), 200, {
      "cache-control": "no-store",
    });
  });

  app.get("/fleet/api/events", async (c) => {
    const { identity } = await identify(c.req.raw);
    const refusal = hub.refusal(identity.user);
    if (refusal) {
      throw new StatusError(429, refusal, {
        headers: { "Retry-After": "10" },
        details: { retryAfterSeconds: 10 },
      });
    }
    return hub.open(identity.user, await visibility(identity));
  });

  app.get("/fleet/api/clusters/:name", async (c) => {
    const { identity } = await identify(c.req.raw);
    const entry = await visibleEntry(identity, c.req.param("name"));
    return c.json(detailOf(entry), 200, { "cache-control": "no-store" });
  });

  app.get("/fleet/api/clusters/:name/kubeconfig", async (c) => {
    const { identity, token } = await identify(c.req.raw);
    const name = c.req.param("name");
    await visibleEntry(identity, name);
    const hops = hopsTo(options.state, name);
    if (!hops || hops.length === 0) {
      throw new StatusError(400, `Cannot build a kubeconfig: ${name} is this cell, not a child`);
    }
    const text = proxyKubeconfig({
      cellUrl: options.cellUrl(),
      clusters: hops,
      token,
      caPem: options.caPem,
      name,
    });
    return c.body(text, 200, {
      "content-type": "application/yaml; charset=utf-8",
      "content-disposition": `attachment; filename="${name}.kubeconfig.yaml"`,
      "cache-control": "no-store",
    });
  });
  return { app, hub };
}
