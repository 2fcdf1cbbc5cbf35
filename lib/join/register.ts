/**
 * The join's one call to its parent: POST /api/clusters/{name}/register over HTTPS with
 * the parent's CA trusted, then checks that the answer really comes from that CA.
 */
import type { RegisterResponse } from "../cell/webhook.ts";
import type { KubeObject } from "../kube/types.ts";
import { certificateIdentity, verifyCertificate } from "../pki/mod.ts";

/** A refusal or failure of the webhook, with the Status it answered. */
export class RegisterError extends Error {
  /** HTTP status; 0 for network failures. */
  readonly status: number;
  /** The Status reason, e.g. `Unauthorized`. */
  readonly reason: string;
  /** Seconds the cell asked us to wait. */
  readonly retryAfterSeconds?: number;

  constructor(
    status: number,
    message: string,
    options: { reason?: string; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RegisterError";
    this.status = status;
    this.reason = options.reason ?? (status === 0 ? "NetworkError" : `HTTP${status}`);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Network errors, 5xx, 429 and 409 (a registration in progress) may pass on retry. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429 ||
      this.status === 409;
  }
}

/** Options for {@linkcode registerWithCell}. */
export interface RegisterOptions {
  /** Base URL of the cell, e.g. https://cell.example:8443. */
  cellUrl: string;
  cluster: string;
  token: string;
  csrPem: string;
  /** The parent cell's CA (PEM), from --ca-file. */
  caPem: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
}

/** Registers and returns the verified answer. Throws {@linkcode RegisterError}. */
export async function registerWithCell(options: RegisterOptions): Promise<RegisterResponse> {
  const url = `${options.cellUrl.replace(/\/+$/, "")}/api/clusters/${
    encodeURIComponent(options.cluster)
  }/register`;
  const client = Deno.createHttpClient({ caCerts: [options.caPem] });
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: "POST",
      client,
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ token: options.token, csr: options.csrPem }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    text = await res.text();
  } catch (error) {
    throw new RegisterError(
      0,
      `Cannot reach the cell at ${options.cellUrl}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  } finally {
    client.close();
  }
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!res.ok) {
    const details = body.details as { retryAfterSeconds?: number } | undefined;
    const header = Number(res.headers.get("retry-after"));
    throw new RegisterError(
      res.status,
      typeof body.message === "string" ? body.message : `HTTP ${res.status}: ${text.slice(0, 200)}`,
      {
        reason: typeof body.reason === "string" ? body.reason : undefined,
        retryAfterSeconds: details?.retryAfterSeconds ?? (header > 0 ? header : undefined),
      },
    );
  }
  return await checkAnswer(body, options);
}

async function checkAnswer(
  body: Record<string, unknown>,
  options: RegisterOptions,
): Promise<RegisterResponse> {
  const { certificate, caBundle, grpcEndpoint, manifests } = body;
  if (
    typeof certificate !== "string" || typeof caBundle !== "string" ||
    typeof grpcEndpoint !== "string" || !Array.isArray(manifests)
  ) {
    throw new RegisterError(
      502,
      "Cannot use the cell's answer: it lacks certificate, caBundle, grpcEndpoint or manifests",
    );
  }
  // Whatever TLS trusted, the certificate must come from the pinned CA and name us.
  if (!(await verifyCertificate(options.caPem, certificate))) {
    throw new RegisterError(
      502,
      "Cannot use the cell's answer: the certificate is not signed by the pinned CA",
    );
  }
  if (certificateIdentity(certificate) !== options.cluster) {
    throw new RegisterError(
      502,
      `Cannot use the cell's answer: the certificate is not for ${options.cluster}`,
    );
  }
  return { certificate, caBundle, grpcEndpoint, manifests: manifests as KubeObject[] };
}
