/**
 * The signature algorithms Lattice accepts when it parses a certificate or a CSR. Anything
 * else — SHA-1, MD5, an algorithm the parser does not know — is refused, so a weak
 * signature never certifies a key or an identity (docs/security.md, "What we defend
 * against").
 */
import "reflect-metadata";
import type { Pkcs10CertificateRequest, X509Certificate } from "@peculiar/x509";

/** Signatures accepted on CSRs: what `lattice join` and the agent make, ECDSA with SHA-256. */
export const CSR_SIGNATURE_ALGORITHMS: readonly string[] = ["ECDSA/SHA-256"];

/**
 * Signatures accepted on certificates: ECDSA or RSA (PKCS#1 v1.5) with SHA-256, -384 or
 * -512. Lattice signs only ECDSA/SHA-256; the others admit a CA brought from elsewhere.
 */
export const CERTIFICATE_SIGNATURE_ALGORITHMS: readonly string[] = [
  "ECDSA/SHA-256",
  "ECDSA/SHA-384",
  "ECDSA/SHA-512",
  "RSASSA-PKCS1-v1_5/SHA-256",
  "RSASSA-PKCS1-v1_5/SHA-384",
  "RSASSA-PKCS1-v1_5/SHA-512",
];

/** `NAME/HASH` of what signed `item`, or a description of why it cannot be read. */
export function signatureAlgorithmOf(item: X509Certificate | Pkcs10CertificateRequest): string {
  try {
    const algorithm = item.signatureAlgorithm;
    const hash = algorithm.hash as Algorithm | string | undefined;
    const hashName = typeof hash === "string" ? hash : hash?.name;
    return `${algorithm.name}/${hashName ?? "-"}`;
  } catch {
    return "unknown";
  }
}

/**
 * Throws `Cannot <action>: signed with X, accepted: ...` unless `item`'s signature
 * algorithm is in `accepted`.
 */
export function checkSignatureAlgorithm(
  item: X509Certificate | Pkcs10CertificateRequest,
  accepted: readonly string[],
  action: string,
): void {
  const used = signatureAlgorithmOf(item);
  if (!accepted.includes(used)) {
    throw new Error(
      `Cannot ${action}: signed with ${used}, accepted: ${accepted.join(", ")}`,
    );
  }
}
