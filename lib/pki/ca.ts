/**
 * The cell's certificate authority: creating it, issuing server certificates for the
 * cell's endpoints and signing agents' CSRs. The CA key never leaves the cluster that owns
 * it; a child's CA is its own.
 */
import "reflect-metadata";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  type PublicKey,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
import {
  generateKeyPair,
  importPrivateKeyPem,
  randomSerialNumber,
  SIGNING_ALGORITHM,
} from "./keys.ts";
import { identityUri, parseCertificate, parseCsr, type ParsedCsr } from "./inspect.ts";

/** A CA certificate and its private key. */
export interface CertificateAuthority {
  /** The CA certificate, PEM. */
  certPem: string;
  /** The CA private key, PKCS#8 PEM. */
  keyPem: string;
}

/** Options for {@linkcode createCa}. */
export interface CreateCaOptions {
  /** Subject common name, e.g. `lattice-ca-<cluster>`. */
  commonName: string;
  /** Validity in days; default 3650. */
  validityDays?: number;
  /** Clock, for tests. */
  now?: Date;
}

/** Options for {@linkcode signClientCsr}. */
export interface SignClientCsrOptions {
  /** The identity to certify (the cluster name): goes into the CN and the SANs. */
  identity: string;
  /** Validity in days; default 30 so agents rotate. */
  validityDays?: number;
  /** Clock, for tests. */
  now?: Date;
}

/** Options for {@linkcode issueServerCert}. */
export interface IssueServerCertOptions {
  /** DNS names (the first is also the CN). */
  dnsNames: string[];
  /** IP addresses for the SAN. */
  ipAddresses?: string[];
  /** Validity in days; default 365. */
  validityDays?: number;
  /** Clock, for tests. */
  now?: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How far before its issue a certificate's validity starts, so a peer whose clock lags a
 * little accepts it. Revocation (lib/cell/revocation.ts) reads the issue time back from it.
 */
export const BACKDATE_MS = 5 * 60 * 1000;

function validity(now: Date | undefined, days: number): { notBefore: Date; notAfter: Date } {
  const start = (now ?? new Date()).getTime();
  return { notBefore: new Date(start - BACKDATE_MS), notAfter: new Date(start + days * DAY_MS) };
}

function escapeRdn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, "\\$1");
}

/** Creates a self-signed ECDSA P-256 CA (pathLen 0: it signs leaves only). */
export async function createCa(options: CreateCaOptions): Promise<CertificateAuthority> {
  const { keys, privateKeyPem } = await generateKeyPair();
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: `CN=${escapeRdn(options.commonName)}`,
    ...validity(options.now, options.validityDays ?? 3650),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: privateKeyPem };
}

// Parsing the CA and importing its key cost more than signing; a cell signs with one CA.
const signers = new WeakMap<
  CertificateAuthority,
  Promise<{ caCert: X509Certificate; signingKey: CryptoKey }>
>();

function signer(ca: CertificateAuthority) {
  let cached = signers.get(ca);
  if (!cached) {
    cached = (async () => {
      const caCert = parseCertificate(ca.certPem, "sign certificate with the CA");
      return { caCert, signingKey: await importPrivateKeyPem(ca.keyPem) };
    })();
    signers.set(ca, cached);
    cached.catch(() => signers.delete(ca));
  }
  return cached;
}

async function signLeaf(
  ca: CertificateAuthority,
  leaf: {
    subject: string;
    publicKey: PublicKey | CryptoKey;
    sans: ConstructorParameters<typeof SubjectAlternativeNameExtension>[0];
    usage: ExtendedKeyUsage;
    notBefore: Date;
    notAfter: Date;
  },
): Promise<string> {
  const { caCert, signingKey } = await signer(ca);
  const cert = await X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: leaf.subject,
    issuer: caCert.subject,
    notBefore: leaf.notBefore,
    // A leaf never outlives its CA.
    notAfter: leaf.notAfter > caCert.notAfter ? caCert.notAfter : leaf.notAfter,
    publicKey: leaf.publicKey,
    signingKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension([leaf.usage]),
      new SubjectAlternativeNameExtension(leaf.sans),
      await AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      await SubjectKeyIdentifierExtension.create(leaf.publicKey),
    ],
  });
  return cert.toString("pem");
}

/**
 * Signs an agent's CSR as a client certificate for `identity`. Only the CSR's public key
 * is used: subject and requested extensions are replaced, so a CSR cannot ask for more
 * than the identity the caller authenticated. The CSR's self-signature is verified.
 */
export async function signClientCsr(
  ca: CertificateAuthority,
  csrPem: string,
  options: SignClientCsrOptions,
): Promise<string> {
  return await signParsedCsr(ca, await parseCsr(csrPem), options);
}

/**
 * Like {@linkcode signClientCsr} for a CSR the caller has already checked with `parseCsr`
 * (the webhook does, before it looks at the token): its signature is not verified twice.
 */
export async function signParsedCsr(
  ca: CertificateAuthority,
  csr: Pick<ParsedCsr, "publicKey">,
  options: SignClientCsrOptions,
): Promise<string> {
  return await signLeaf(ca, {
    subject: `CN=${escapeRdn(options.identity)}`,
    publicKey: csr.publicKey,
    sans: [{ type: "dns", value: options.identity }, {
      type: "url",
      value: identityUri(options.identity),
    }],
    usage: ExtendedKeyUsage.clientAuth,
    ...validity(options.now, options.validityDays ?? 30),
  });
}

/** Issues a server certificate (and its new key) for the cell's HTTPS and gRPC endpoints. */
export async function issueServerCert(
  ca: CertificateAuthority,
  options: IssueServerCertOptions,
): Promise<{ certPem: string; keyPem: string }> {
  if (options.dnsNames.length === 0 && !options.ipAddresses?.length) {
    throw new Error("Cannot issue server certificate: no DNS names or IP addresses given");
  }
  const { keys, privateKeyPem } = await generateKeyPair();
  const sans = [
    ...options.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const certPem = await signLeaf(ca, {
    subject: `CN=${escapeRdn(options.dnsNames[0] ?? options.ipAddresses![0])}`,
    publicKey: keys.publicKey,
    sans,
    usage: ExtendedKeyUsage.serverAuth,
    ...validity(options.now, options.validityDays ?? 365),
  });
  return { certPem, keyPem: privateKeyPem };
}
