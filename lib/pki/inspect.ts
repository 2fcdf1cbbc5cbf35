/**
 * Reading certificates and CSRs: identities, expiry, chain verification. Parsing and
 * signature checks are done by @peculiar/x509 over WebCrypto.
 */
import "reflect-metadata";
import {
  Name,
  Pkcs10CertificateRequest,
  type PublicKey,
  SubjectAlternativeNameExtension,
  X509Certificate,
} from "@peculiar/x509";
import {
  CERTIFICATE_SIGNATURE_ALGORITHMS,
  checkSignatureAlgorithm,
  CSR_SIGNATURE_ALGORITHMS,
} from "./algorithms.ts";

const COMMON_NAME_OID = "2.5.4.3";
// Bound what a request may push through the ASN.1 parser.
const MAX_PEM_LENGTH = 16 * 1024;

/** The URI SAN that carries a cluster identity, beside the DNS SAN. */
export function identityUri(identity: string): string {
  return `lattice://cluster/${identity}`;
}

function commonName(name: Name): string | undefined {
  const values = name.getField(COMMON_NAME_OID);
  return values.length === 1 ? values[0] : undefined;
}

/**
 * Parses a PEM certificate and refuses one signed with an algorithm outside
 * {@linkcode CERTIFICATE_SIGNATURE_ALGORITHMS} (SHA-1, MD5, ...).
 */
export function parseCertificate(certPem: string, action: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    throw new Error(`Cannot ${action}: not a PEM certificate`, { cause: error });
  }
  checkSignatureAlgorithm(cert, CERTIFICATE_SIGNATURE_ALGORITHMS, action);
  return cert;
}

/** What Lattice reads from a CSR after checking its self-signature. */
export interface ParsedCsr {
  /** The subject CN, when the CSR has exactly one. */
  commonName?: string;
  /** The key the certificate will certify. */
  publicKey: PublicKey;
}

/**
 * Parses a PEM CSR, checks its self-signature (proof of possession of the key), that it is
 * signed with ECDSA/SHA-256 (SHA-1 and the rest are refused) and that its key is ECDSA
 * P-256. Throws `Cannot parse CSR: ...` otherwise.
 */
export async function parseCsr(csrPem: string): Promise<ParsedCsr> {
  if (typeof csrPem !== "string" || csrPem.length > MAX_PEM_LENGTH) {
    throw new Error("Cannot parse CSR: missing or larger than 16 KiB");
  }
  let csr: Pkcs10CertificateRequest;
  try {
    csr = new Pkcs10CertificateRequest(csrPem);
  } catch (error) {
    throw new Error("Cannot parse CSR: not a PEM PKCS#10 request", { cause: error });
  }
  const algorithm = csr.publicKey.algorithm as EcKeyAlgorithm;
  if (algorithm.name !== "ECDSA" || algorithm.namedCurve !== "P-256") {
    throw new Error(
      `Cannot parse CSR: key is ${algorithm.name}/${algorithm.namedCurve ?? "-"}, want ECDSA P-256`,
    );
  }
  checkSignatureAlgorithm(csr, CSR_SIGNATURE_ALGORITHMS, "parse CSR");
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (error) {
    throw new Error("Cannot parse CSR: signature cannot be verified", { cause: error });
  }
  if (!valid) throw new Error("Cannot parse CSR: signature does not match its key");
  return { commonName: commonName(csr.subjectName), publicKey: csr.publicKey };
}

/**
 * The identity (cluster name) a client certificate carries: its CN, which must also appear
 * as a DNS SAN. Throws when the two disagree, so a hand-made certificate cannot smuggle a
 * second identity.
 */
export function certificateIdentity(certPem: string): string {
  const cert = parseCertificate(certPem, "read certificate identity");
  const cn = commonName(cert.subjectName);
  if (!cn) throw new Error("Cannot read certificate identity: no single subject CN");
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  const dns = san?.names.items.filter((n) => n.type === "dns").map((n) => n.value) ?? [];
  if (!dns.includes(cn)) {
    throw new Error(`Cannot read certificate identity: CN ${cn} is not among its DNS SANs`);
  }
  return cn;
}

/** When a certificate expires. */
export function certificateNotAfter(certPem: string): Date {
  return parseCertificate(certPem, "read certificate expiry").notAfter;
}

/** When a certificate's validity starts. */
export function certificateNotBefore(certPem: string): Date {
  return parseCertificate(certPem, "read certificate start").notBefore;
}

/** Options for {@linkcode verifyCertificate}. */
export interface VerifyCertificateOptions {
  /** Clock, for tests. */
  now?: Date;
}

/**
 * Whether `certPem` was signed by the CA `caPem` and is within its validity period at
 * `now` (and so is the CA).
 */
export async function verifyCertificate(
  caPem: string,
  certPem: string,
  options: VerifyCertificateOptions = {},
): Promise<boolean> {
  const ca = parseCertificate(caPem, "verify certificate");
  const cert = parseCertificate(certPem, "verify certificate");
  const date = options.now ?? new Date();
  if (cert.issuer !== ca.subject) return false;
  try {
    return await ca.verify({ date }) &&
      await cert.verify({ publicKey: ca.publicKey, date });
  } catch {
    return false;
  }
}

/** The SHA-256 fingerprint of a certificate, lowercase hex. */
export async function certificateFingerprint(certPem: string): Promise<string> {
  const cert = parseCertificate(certPem, "fingerprint certificate");
  const digest = await cert.getThumbprint("SHA-256");
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
