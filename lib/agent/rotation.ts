/**
 * Client certificate rotation: when a certificate nears expiry the agent makes a new key
 * and CSR; the cell signs it for the stream's verified identity. The private key never
 * leaves the child.
 */
import {
  certificateIdentity,
  certificateNotAfter,
  createCsr,
  generateKeyPair,
} from "../pki/mod.ts";

/** The agent's mTLS material (PEM). */
export interface AgentCredentials {
  /** The parent cell's CA: the only issuer trusted for the server. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Default lead time of renewal: a third of the default 30-day client certificate. */
export const DEFAULT_RENEW_BEFORE_MS = 10 * 24 * 60 * 60 * 1000;

/** Whether `certPem` expires within `renewBeforeMs` of `now`. */
export function renewalDue(certPem: string, now: number, renewBeforeMs: number): boolean {
  return certificateNotAfter(certPem).getTime() - renewBeforeMs <= now;
}

/** A fresh key and a CSR for `clusterName`. */
export async function prepareRenewal(
  clusterName: string,
): Promise<{ csrPem: string; keyPem: string }> {
  const { keys, privateKeyPem } = await generateKeyPair();
  return { csrPem: await createCsr(keys, { commonName: clusterName }), keyPem: privateKeyPem };
}

/** Checks a certificate the cell returned before the agent switches to it. */
export function acceptRenewedCertificate(
  clusterName: string,
  certPem: string,
  now: number,
): void {
  const identity = certificateIdentity(certPem);
  if (identity !== clusterName) {
    throw new Error(`Cannot accept renewed certificate: it names ${identity}, not ${clusterName}`);
  }
  if (certificateNotAfter(certPem).getTime() <= now) {
    throw new Error("Cannot accept renewed certificate: it has already expired");
  }
}
