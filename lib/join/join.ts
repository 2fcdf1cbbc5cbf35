/**
 * `lattice join`: registers a new cluster with its parent cell and installs Lattice into
 * it. The key pair is generated here and never leaves the cluster; the parent signs a CSR.
 *
 * Idempotent: a cluster whose agent Secret already holds a valid certificate for this
 * name is left alone. Nothing is applied unless the cell accepted the registration, and
 * the agent Secret (the "joined" mark) is applied last, so an interrupted install is
 * finished by running the join again: the key kept on disk lets the cell recognise the
 * retry of an already used token.
 */
import { AGENT_SECRET_KEYS, AGENT_SECRET_NAME, JOIN_FIELD_MANAGER } from "../bundle/mod.ts";
import type { KubeClient } from "../kube/client.ts";
import type { KubeObject } from "../kube/types.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import {
  certificateNotAfter,
  createCsr,
  encodeBase64,
  generateKeyPair,
  keyPairFromPem,
  parseCertificate,
} from "../pki/mod.ts";
import { applyBundle } from "./apply.ts";
import { RegisterError, registerWithCell } from "./register.ts";
import { retry, type RetryOptions } from "./retry.ts";
import { existingJoin, forgetKey, keepKey, readKeptKey } from "./state.ts";

/** Options for {@linkcode joinCluster}. */
export interface JoinOptions {
  /** The cell's bootstrap URL, e.g. https://cell.example:8443. */
  cellUrl: string;
  /** This cluster's name. */
  cluster: string;
  /** The one-time bootstrap token. */
  token: string;
  /** The parent cell's CA, PEM (pinned). */
  caPem: string;
  /** Where the key is kept while the join is in flight; in memory only when absent. */
  keyFile?: string;
  logger?: Logger;
  /** Retries of the registration and of each apply. */
  retry?: RetryOptions;
  /** How long to wait for each CRD to be Established; default 60 s. */
  crdTimeoutMs?: number;
}

/** What a join did. */
export interface JoinResult {
  outcome: "joined" | "already-joined";
  cluster: string;
  /** Objects applied (0 when already joined). */
  applied: number;
  /** Expiry of the agent's certificate. */
  certificateNotAfter: Date;
}

async function keyPair(options: JoinOptions, logger: Logger) {
  const kept = options.keyFile ? await readKeptKey(options.keyFile) : undefined;
  if (kept) {
    logger.info("Resuming an interrupted join with the kept key", { keyFile: options.keyFile });
    return { keys: await keyPairFromPem(kept), privateKeyPem: kept };
  }
  const generated = await generateKeyPair();
  if (options.keyFile) await keepKey(options.keyFile, generated.privateKeyPem);
  return generated;
}

function withKey(objects: KubeObject[], privateKeyPem: string): KubeObject[] {
  return objects.map((obj) => {
    if (obj.kind !== "Secret" || obj.metadata?.name !== AGENT_SECRET_NAME) return obj;
    const data = (obj as { data?: Record<string, string> }).data ?? {};
    return {
      ...obj,
      data: { ...data, [AGENT_SECRET_KEYS.privateKey]: encodeBase64(privateKeyPem) },
    };
  });
}

async function sameKey(certPem: string, keys: CryptoKeyPair): Promise<boolean> {
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const certified = new Uint8Array(
    parseCertificate(certPem, "compare certified key").publicKey.rawData,
  );
  return spki.length === certified.length && spki.every((b, i) => b === certified[i]);
}

/** Joins the cluster behind `client` to its parent cell. */
export async function joinCluster(client: KubeClient, options: JoinOptions): Promise<JoinResult> {
  const logger = (options.logger ?? silentLogger).child({ cluster: options.cluster });
  const existing = await retry(
    () => existingJoin(client, options.cluster, options.caPem),
    (error) => ({
      transient: !(error instanceof Error && error.message.startsWith("Cannot join")),
    }),
    options.retry,
  );
  if (existing) {
    return {
      outcome: "already-joined",
      cluster: options.cluster,
      applied: 0,
      certificateNotAfter: existing.notAfter,
    };
  }
  const { keys, privateKeyPem } = await keyPair(options, logger);
  const csrPem = await createCsr(keys, { commonName: options.cluster });
  logger.info("Registering with the parent cell", { cell: options.cellUrl });
  const answer = await retry(
    () =>
      registerWithCell({
        cellUrl: options.cellUrl,
        cluster: options.cluster,
        token: options.token,
        csrPem,
        caPem: options.caPem,
      }),
    (error) => ({
      transient: error instanceof RegisterError && error.transient,
      retryAfterMs: error instanceof RegisterError ? (error.retryAfterSeconds ?? 0) * 1000 : 0,
    }),
    {
      ...options.retry,
      onRetry: (error, attempt, delayMs) =>
        logger.warn("Registration failed; retrying", { attempt, delayMs, error }),
    },
  );
  if (!(await sameKey(answer.certificate, keys))) {
    throw new RegisterError(
      502,
      "Cannot use the cell's answer: the certificate is for another key",
    );
  }
  const applied = await applyBundle(client, withKey(answer.manifests, privateKeyPem), {
    fieldManager: JOIN_FIELD_MANAGER,
    logger,
    retry: options.retry,
    crdTimeoutMs: options.crdTimeoutMs,
  });
  if (options.keyFile) await forgetKey(options.keyFile);
  return {
    outcome: "joined",
    cluster: options.cluster,
    applied,
    certificateNotAfter: certificateNotAfter(answer.certificate),
  };
}
