/**
 * Kubeconfigs whose server is a cell's proxy path (`https://<cell>/clusters/{name}`, or
 * `/clusters/{a}/clusters/{b}` through a chain of cells), so plain kubectl reaches a child.
 */
import { stringify } from "yaml";
import { isDnsLabel } from "./paths.ts";

/** Options for {@linkcode proxyKubeconfig}. */
export interface ProxyKubeconfigOptions {
  /** Base URL of the first cell, e.g. `https://cell.example.com:8443`. */
  cellUrl: string;
  /** The hops: `["leaf"]`, or `["regional", "leaf"]` for a child of a child. */
  clusters: string[];
  /** Bearer token of the caller on the first cell. */
  token?: string;
  /** A kubeconfig `user` entry to use instead of `token` (e.g. an exec plugin). */
  user?: Record<string, unknown>;
  /** CA bundle (PEM) that signed the cell's serving certificate. */
  caPem?: string;
  /**
   * Name the cell's certificate is checked against (`tls-server-name`), for dialing the cell
   * by IP while its certificate names its DNS host.
   */
  tlsServerName?: string;
  /** Name of the cluster/context/user entries; default the hops joined by `.`. */
  name?: string;
}

/** The proxy server URL for `clusters` behind `cellUrl`. */
export function proxyServerUrl(cellUrl: string, clusters: string[]): string {
  let url: URL;
  try {
    url = new URL(cellUrl);
  } catch (cause) {
    throw new Error(`Cannot build proxy URL: ${cellUrl} is not a URL`, { cause });
  }
  if (url.protocol !== "https:") {
    throw new Error(`Cannot build proxy URL: ${cellUrl} is not https`);
  }
  if (clusters.length === 0) throw new Error("Cannot build proxy URL: no cluster named");
  for (const name of clusters) {
    if (!isDnsLabel(name)) throw new Error(`Cannot build proxy URL: ${name} is not a DNS label`);
  }
  const base = url.origin + url.pathname.replace(/\/+$/, "");
  return base + clusters.map((c) => `/clusters/${c}`).join("");
}

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** A kubeconfig (YAML) whose only context reaches `clusters` through the cell's proxy. */
export function proxyKubeconfig(options: ProxyKubeconfigOptions): string {
  const server = proxyServerUrl(options.cellUrl, options.clusters);
  const name = options.name ?? options.clusters.join(".");
  const cluster: Record<string, unknown> = { server };
  if (options.caPem) cluster["certificate-authority-data"] = base64(options.caPem);
  if (options.tlsServerName) cluster["tls-server-name"] = options.tlsServerName;
  const user = options.user ?? (options.token ? { token: options.token } : {});
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
  });
}
