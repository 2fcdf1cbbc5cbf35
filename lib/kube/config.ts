/**
 * Turns credentials (a kubeconfig, or the in-cluster service account) into what our own
 * HTTP layer needs: a server URL, TLS material and a source of Authorization headers.
 * @kubernetes/client-node only parses and resolves kubeconfigs here; it does no I/O for us.
 */
import { KubeConfig } from "@kubernetes/client-node";

/** Everything needed to talk to one apiserver. */
export interface Connection {
  /** `https://host:port` without a trailing slash. */
  server: string;
  /** PEM CA bundle to trust in addition to the system roots. */
  caPem?: string;
  /** PEM client certificate and key (mTLS), when the user authenticates with one. */
  certPem?: string;
  keyPem?: string;
  /** The Authorization header for the next request (tokens can rotate), if any. */
  authorization(): Promise<string | undefined>;
}

/** Options for resolving a kubeconfig. */
export interface KubeconfigOptions {
  /** Context to use; the kubeconfig's current-context when absent. */
  context?: string;
}

const decoder = new TextDecoder();

function pemFrom(file: string | undefined, data: string | undefined): string | undefined {
  if (data) return decoder.decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
  if (file) return Deno.readTextFileSync(file);
  return undefined;
}

/** Resolves parsed kubeconfig text into a connection. */
export function connectionFromKubeconfig(
  yamlText: string,
  options: KubeconfigOptions = {},
): Connection {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(yamlText);
  } catch (cause) {
    throw new Error("Cannot load kubeconfig: it is not a valid kubeconfig document", { cause });
  }
  if (options.context) kc.setCurrentContext(options.context);
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster) throw new Error("Cannot load kubeconfig: the current context has no cluster");
  if (cluster.skipTLSVerify) {
    throw new Error("Cannot load kubeconfig: insecure-skip-tls-verify is not supported");
  }
  const certPem = pemFrom(user?.certFile, user?.certData);
  const keyPem = pemFrom(user?.keyFile, user?.keyData);
  // Token, exec and auth-provider users need client-node's authenticators on every request
  // (they refresh and cache tokens themselves); pure client-cert users need none.
  const dynamic = Boolean(user && (user.token || user.exec || user.authProvider || user.username));
  return {
    server: cluster.server.replace(/\/+$/, ""),
    caPem: pemFrom(cluster.caFile, cluster.caData),
    certPem,
    keyPem,
    async authorization() {
      if (!dynamic) return undefined;
      const opts: { headers?: Record<string, string>; auth?: string } = { headers: {} };
      await kc.applyToHTTPSOptions(opts as never);
      if (opts.headers?.Authorization) return opts.headers.Authorization;
      if (opts.auth) return `Basic ${btoa(opts.auth)}`;
      return undefined;
    },
  };
}

/** Options for {@linkcode connectionInCluster}. */
export interface InClusterOptions {
  /** The environment (KUBERNETES_SERVICE_HOST/PORT); read by main.ts and passed down. */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory holding token, ca.crt; default the service-account mount. */
  serviceAccountDir?: string;
  /** How long a read token is reused before re-reading the (rotating) file; default 60 s. */
  tokenCacheMs?: number;
}

/** The service-account mount of every pod. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Resolves the in-cluster service account into a connection. */
export async function connectionInCluster(options: InClusterOptions): Promise<Connection> {
  const host = options.env.KUBERNETES_SERVICE_HOST;
  const port = options.env.KUBERNETES_SERVICE_PORT ?? "443";
  if (!host) {
    throw new Error("Cannot use in-cluster credentials: KUBERNETES_SERVICE_HOST is not set");
  }
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const caPem = await Deno.readTextFile(`${dir}/ca.crt`).catch((cause) => {
    throw new Error(`Cannot use in-cluster credentials: ${dir}/ca.crt is unreadable`, { cause });
  });
  const cacheMs = options.tokenCacheMs ?? 60_000;
  let token = "";
  let readAt = -Infinity;
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    caPem,
    async authorization() {
      // Projected tokens rotate; re-read periodically rather than once at start.
      if (performance.now() - readAt > cacheMs) {
        token = (await Deno.readTextFile(`${dir}/token`)).trim();
        readAt = performance.now();
      }
      return `Bearer ${token}`;
    },
  };
}
