/**
 * The identity and expiry of an agent's client certificate, read at every stream.
 *
 * TLS has already verified the chain to the cell's CA; what is left is the cluster name
 * (the single subject CN, which must be among the DNS SANs) and the expiry. Parsing the
 * certificate in JavaScript (asn1js) was the cell's largest cost in a reconnect storm
 * (docs/scale.md), so the fields the TLS layer has already parsed natively are used when
 * they are unambiguous, and the full parse (lib/pki) decides every other case.
 */
import { Buffer } from "node:buffer";
import { certificateIdentity, certificateNotAfter } from "../pki/mod.ts";

/** The peer certificate as node:tls (and so grpc-js's auth context) describes it. */
export interface PeerCertificateFields {
  raw?: Uint8Array;
  subject?: Record<string, string | string[] | undefined>;
  subjectaltname?: string;
  valid_to?: string;
}

/** What the cell needs of a client certificate. */
export interface PeerIdentity {
  /** The cluster name the certificate speaks for. */
  identity: string;
  notAfter: Date;
  /** The certificate, PEM. */
  certPem: string;
}

/** The PEM of a DER certificate. */
export function derToPem(raw: Uint8Array): string {
  const b64 = Buffer.from(raw).toString("base64").replace(/(.{64})/g, "$1\n").trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** The fields TLS parsed, when they name one CN among the DNS SANs and a valid expiry. */
function fromNativeFields(cert: PeerCertificateFields): Omit<PeerIdentity, "certPem"> | undefined {
  const cn = cert.subject?.CN;
  if (typeof cert.subject !== "object" || typeof cn !== "string" || cn === "") return undefined;
  // Any other subject attribute, or an escaped/quoted SAN list, goes to the full parse.
  if (Object.keys(cert.subject).length !== 1) return undefined;
  const sans = cert.subjectaltname;
  if (typeof sans !== "string" || sans.includes('"') || sans.includes("\\")) return undefined;
  if (!sans.split(", ").includes(`DNS:${cn}`)) return undefined;
  const notAfter = new Date(cert.valid_to ?? "");
  if (Number.isNaN(notAfter.getTime())) return undefined;
  return { identity: cn, notAfter };
}

/**
 * The identity of a verified client certificate. Throws (with the reason) when it has
 * none: no certificate, no single CN, or a CN that is not among its DNS SANs.
 */
export function peerIdentity(cert: PeerCertificateFields | undefined): PeerIdentity {
  const raw = cert?.raw;
  if (!cert || !raw || raw.length === 0) throw new Error("no client certificate");
  const certPem = derToPem(raw);
  const fast = fromNativeFields(cert);
  if (fast) return { ...fast, certPem };
  return {
    identity: certificateIdentity(certPem),
    notAfter: certificateNotAfter(certPem),
    certPem,
  };
}
