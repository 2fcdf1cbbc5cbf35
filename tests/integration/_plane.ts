/**
 * Test helpers for integration tests on real control planes (lib/sandbox): start a plane
 * for the duration of a test, talk to it over HTTPS, and always stop it.
 */
import {
  type ControlPlane,
  type ControlPlaneOptions,
  kubectl,
  type KubectlResult,
  startControlPlane,
} from "../../lib/sandbox/mod.ts";

/**
 * Options of {@link withControlPlane}: those of `startControlPlane`; `crds` are Established
 * before `fn` runs (seeded from a cached etcd template, so cheap after the first use).
 */
export type WithPlaneOptions = ControlPlaneOptions;

/** Options of {@link PlaneApi.json}. */
export interface JsonRequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Default application/json; e.g. application/merge-patch+json for PATCH. */
  contentType?: string;
}

/** A thin HTTPS client bound to one plane's admin credentials. */
export interface PlaneApi {
  /** fetch() against the plane; `path` starts with "/". The caller consumes the body. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Sends JSON and returns status and parsed body (a Kubernetes object or Status). Does
   * not throw on HTTP errors, so tests can assert on them.
   */
  json<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: JsonRequestOptions,
  ): Promise<{ status: number; body: T }>;
  /** Runs the real kubectl against the plane (throws on non-zero exit). */
  kubectl(args: string[], stdin?: string): Promise<KubectlResult>;
}

/** Creates a {@link PlaneApi} for `plane`; call `close()` when done. */
export function planeApi(plane: ControlPlane): PlaneApi & { close(): void } {
  const client = Deno.createHttpClient({
    caCerts: [plane.caCertPem],
    cert: plane.clientCertPem,
    key: plane.clientKeyPem,
  });
  const doFetch = (path: string, init: RequestInit = {}) =>
    fetch(`${plane.server}${path}`, { ...init, client });
  return {
    fetch: doFetch,
    async json<T>(method: string, path: string, { body, contentType }: JsonRequestOptions = {}) {
      const res = await doFetch(path, {
        method,
        headers: {
          "content-type": contentType ?? "application/json",
          accept: "application/json",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: parseBody(text) as T };
    },
    kubectl: (args, stdin) => kubectl(plane, args, { stdin }),
    close: () => client.close(),
  };
}

/**
 * Starts a control plane (named after the test), runs `fn`, and stops the plane however
 * `fn` ends. Use `t.step` inside `fn` to share one plane between several checks.
 */
export async function withControlPlane(
  t: Deno.TestContext | undefined,
  fn: (plane: ControlPlane, api: PlaneApi) => Promise<void>,
  options: WithPlaneOptions = {},
): Promise<void> {
  const name = options.name ?? planeName(t?.name);
  const plane = await startControlPlane({ ...options, name });
  const api = planeApi(plane);
  try {
    await fn(plane, api);
  } finally {
    api.close();
    await plane.stop();
  }
}

function planeName(testName: string | undefined): string {
  const slug = (testName ?? "test").toLowerCase().replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 40);
  return slug || "test";
}

// The apiserver answers JSON, except for paths no handler owns ("404 page not found").
function parseBody(text: string): unknown {
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
