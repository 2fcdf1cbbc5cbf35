/**
 * The cell's bootstrap webhook (Hono): a new cluster's first control-plane node registers
 * once with its one-time token and a CSR, and gets back its client certificate, the CA
 * bundle, the gRPC endpoint and the manifests to install. Also serves the lattice binary.
 *
 * Refusals never tell an unknown cluster from a wrong token (both 401). Every
 * registration attempt writes exactly one audit line; the token never appears in it.
 */
import { latticeMetrics } from "../metrics/mod.ts";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { type BundleCluster, type BundleOptions, childBundle } from "../bundle/mod.ts";
import type { KubeObject } from "../kube/types.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import {
  type BootstrapTokens,
  type CertificateAuthority,
  parseCsr,
  signParsedCsr,
  type TokenLease,
} from "../pki/mod.ts";
import { StatusError, statusErrorHandler } from "./errors.ts";
import { binaryRoutes, type BinarySource } from "./webhook_binary.ts";
import { jsonAnswer } from "./webhook_gzip.ts";
import { RateLimiter, type RateLimiterOptions } from "./webhook_rate_limit.ts";

/** The body of POST /api/clusters/{name}/register. */
export const RegisterRequestSchema = z.strictObject({
  token: z.string().min(1).max(512),
  csr: z.string().min(1).max(16 * 1024),
});

/** A registration request. */
export type RegisterRequest = z.infer<typeof RegisterRequestSchema>;

/** The answer to a successful registration. */
export interface RegisterResponse {
  /** The agent's client certificate, PEM (identity = cluster name). */
  certificate: string;
  /** The cell's CA bundle, PEM. */
  caBundle: string;
  /** Where the agent connects, `host:port`. */
  grpcEndpoint: string;
  /** Objects to apply, in order. */
  manifests: KubeObject[];
}

/** Finds the LatticeCluster the cell holds for a child; undefined when there is none. */
export type ClusterLookup = (name: string) => Promise<BundleCluster | undefined>;

/** Connection info Deno.serve passes as Hono's `env`. */
export interface WebhookBindings {
  remoteAddr?: { hostname?: string };
}

/** Options for {@linkcode createWebhookApp}. */
export interface WebhookOptions {
  /** The cell's CA: signs agents' certificates, and its certificate is the CA bundle. */
  ca: CertificateAuthority;
  /** Bootstrap tokens. */
  tokens: BootstrapTokens;
  /** The cell's LatticeClusters. */
  clusters: ClusterLookup;
  /** The cell's agent gRPC endpoint, `host:port`. */
  grpcEndpoint: string;
  /** Options of the child bundle (image, ...). */
  bundle?: BundleOptions;
  /** The CNI manifests the cell hands its children (its `lattice-cni` ConfigMap), if any. */
  cniManifests?: () => Promise<string | undefined>;
  /** The cell's Cluster API components a child needs (lib/providers/cell_components.ts). */
  capiComponents?: (cluster: BundleCluster) => Promise<KubeObject[]>;
  /** OpenStack: the child's cloud controller `cloud.conf` (lib/providers/openstack_conf.ts). */
  openstackCloudConf?: (cluster: BundleCluster) => Promise<string | undefined>;
  /** The binary served at /api/lattice/binary; none when absent. */
  binary?: BinarySource;
  /** Per-client rate limit of every endpoint. */
  rateLimit?: RateLimiterOptions;
  /** Largest accepted request body; default 64 KiB. */
  maxBodyBytes?: number;
  /** Validity of issued client certificates; default 30 days. */
  certificateValidityDays?: number;
  /** Key of the rate limit; default the peer address. */
  clientKey?: (c: Context<{ Bindings: WebhookBindings }>) => string;
  /** Audit and error log. */
  logger?: Logger;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const UNAUTHORIZED = "Cannot register: the bootstrap token is not valid for this cluster " +
  "(wrong, used or expired token, or unknown cluster); ask the cell's operator for a new one";

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

interface Audit {
  cluster: string;
  client: string;
  outcome: "accepted" | "refused" | "failed";
  status: number;
  reason: string;
  keyId?: string;
  rebind?: boolean;
}

/** Builds the webhook app. Serve it with `serveHttps` (webhook_server.ts). */
export function createWebhookApp(options: WebhookOptions): Hono<{ Bindings: WebhookBindings }> {
  const logger = options.logger ?? silentLogger;
  const limiter = new RateLimiter(options.rateLimit);
  const clientKey = options.clientKey ??
    ((c) => c.env?.remoteAddr?.hostname ?? "unknown");
  const app = new Hono<{ Bindings: WebhookBindings }>();
  app.onError(statusErrorHandler({ logger }));
  app.notFound(() => {
    throw new StatusError(404, "Cannot route request: no such endpoint");
  });

  app.use("*", async (c, next) => {
    const decision = limiter.take(clientKey(c));
    if (!decision.allowed) {
      if (c.req.method === "POST") {
        audit({
          cluster: c.req.param("name") ?? c.req.path,
          client: clientKey(c),
          outcome: "refused",
          status: 429,
          reason: "rate-limited",
        });
      }
      throw new StatusError(429, "Cannot accept request: too many requests from this client", {
        details: { retryAfterSeconds: decision.retryAfterSeconds },
      });
    }
    await next();
  });

  function audit(entry: Audit) {
    logger.info("bootstrap registration", { audit: true, ...entry });
  }

  app.post(
    "/api/clusters/:name/register",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 64 * 1024,
      onError: (c) => {
        audit({
          cluster: c.req.param("name") ?? "",
          client: clientKey(c),
          outcome: "refused",
          status: 413,
          reason: "body-too-large",
        });
        throw new StatusError(413, "Cannot register: request body too large");
      },
    }),
    async (c) => {
      const name = c.req.param("name");
      const entry: Audit = {
        cluster: name,
        client: clientKey(c),
        outcome: "refused",
        status: 500,
        reason: "internal",
      };
      try {
        const body = await register(c, name, entry);
        entry.outcome = "accepted";
        entry.status = 200;
        entry.reason = entry.rebind ? "re-registered" : "registered";
        // Gzipped when accepted: one write instead of several (webhook_gzip.ts).
        return jsonAnswer(c, body);
      } catch (error) {
        if (error instanceof StatusError) {
          entry.status = error.code;
          if (entry.reason === "internal") entry.reason = error.reason;
        } else {
          entry.outcome = "failed";
        }
        throw error;
      } finally {
        latticeMetrics.registrations.inc({ result: entry.outcome });
        audit(entry);
      }
    },
  );

  async function register(c: Context, name: string, entry: Audit): Promise<RegisterResponse> {
    if (!DNS_LABEL.test(name)) {
      entry.reason = "bad-name";
      throw new StatusError(400, "Cannot register: the cluster name is not a DNS-1123 label");
    }
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch (error) {
      if (error instanceof StatusError) throw error;
      entry.reason = "bad-json";
      throw new StatusError(400, "Cannot register: the body is not JSON", { cause: error });
    }
    const parsed = RegisterRequestSchema.safeParse(raw);
    if (!parsed.success) {
      entry.reason = "bad-request";
      throw new StatusError(400, "Cannot register: the body must be {token, csr} strings");
    }
    // The CSR is checked before the token so the answer never depends on whether the
    // cluster exists.
    let csr;
    try {
      csr = await parseCsr(parsed.data.csr);
    } catch (error) {
      entry.reason = "bad-csr";
      throw new StatusError(400, (error as Error).message, { cause: error });
    }
    if (csr.commonName !== name) {
      entry.reason = "csr-names-other-cluster";
      throw new StatusError(
        400,
        `Cannot register: the CSR subject CN must be the cluster name ${name}`,
      );
    }
    const keyId = hex(await crypto.subtle.digest("SHA-256", csr.publicKey.rawData));
    entry.keyId = keyId;
    const leased = await options.tokens.lease(name, parsed.data.token, keyId);
    if (!leased.ok) {
      entry.reason = `token-${leased.reason}`;
      if (leased.reason === "busy") {
        throw new StatusError(409, "Cannot register: another registration is in progress", {
          details: { retryAfterSeconds: 5 },
        });
      }
      throw new StatusError(401, UNAUTHORIZED);
    }
    entry.rebind = leased.lease.rebind;
    return await withLease(leased.lease, entry, async () => {
      const cluster = await options.clusters(name);
      if (!cluster) {
        entry.reason = "cluster-gone";
        throw new StatusError(401, UNAUTHORIZED);
      }
      // The CSR was verified above: it is signed without a second verification.
      const certificate = await signParsedCsr(options.ca, csr, {
        identity: name,
        validityDays: options.certificateValidityDays,
      });
      const agent = {
        certificatePem: certificate,
        caBundlePem: options.ca.certPem,
        grpcEndpoint: options.grpcEndpoint,
      };
      let manifests;
      try {
        const cniManifests = await options.cniManifests?.();
        const capiComponents = await options.capiComponents?.(cluster);
        const openstackCloudConf = await options.openstackCloudConf?.(cluster);
        manifests = childBundle(cluster, agent, {
          ...options.bundle,
          cniManifests,
          capiComponents,
          openstackCloudConf,
        });
      } catch (error) {
        entry.reason = "bundle";
        // The token is handed back: the registration can be retried once the cell is fixed.
        throw new StatusError(503, `Cannot build the bundle: ${(error as Error).message}`, {
          cause: error,
        });
      }
      return {
        certificate,
        caBundle: options.ca.certPem,
        grpcEndpoint: options.grpcEndpoint,
        manifests,
      };
    });
  }

  // Commit only once the whole answer is built: any failure before hands the token back.
  async function withLease<T>(lease: TokenLease, entry: Audit, fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      await options.tokens.release(lease).catch((cause) =>
        logger.error("Cannot release bootstrap token lease", { cluster: lease.cluster, cause })
      );
      throw error;
    }
    try {
      await options.tokens.commit(lease);
    } catch (error) {
      entry.reason = "commit-failed";
      await options.tokens.release(lease).catch(() => {});
      throw new StatusError(503, "Cannot register: the token could not be recorded; retry", {
        cause: error,
        details: { retryAfterSeconds: 5 },
      });
    }
    return result;
  }

  binaryRoutes(app, options.binary);
  return app;
}
