/**
 * The key material of one sandbox control plane: a cluster CA, the apiserver's serving
 * certificate, an admin client certificate in `system:masters` and the service-account
 * signing key. ECDSA P-256 / SHA-256 throughout: key generation is milliseconds, which keeps
 * plane start-up fast (an RSA 2048 key costs far more on a busy 2-core machine).
 *
 * Kept folder-private on purpose: lib/pki is the product's PKI; this file only needs
 * throw-away certificates for short-lived local planes.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

/** PEM material written into a plane's directory. */
export interface PlaneCerts {
  caCertPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  serviceAccountKeyPem: string;
  serviceAccountPublicPem: string;
}

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

async function newKeys(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as CryptoKeyPair;
}

async function privatePem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function publicPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("spki", key);
  return x509.PemConverter.encode(der, "PUBLIC KEY");
}

function serial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // a positive serial number
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Generates every certificate and key a plane needs, valid from an hour ago for 7 days. */
export async function generatePlaneCerts(): Promise<PlaneCerts> {
  x509.cryptoProvider.set(crypto);
  // Backdated so a slightly skewed clock never sees a not-yet-valid certificate.
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(Date.now() + 7 * DAY_MS);
  const [caKeys, servingKeys, adminKeys, saKeys] = await Promise.all([
    newKeys(),
    newKeys(),
    newKeys(),
    newKeys(),
  ]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=lattice-sandbox-ca",
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const issue = (subject: string, keys: CryptoKeyPair, extensions: x509.Extension[]) =>
    x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALG,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ...extensions,
      ],
    });
  const serving = await issue("CN=kube-apiserver", servingKeys, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    // localhost because Deno's TLS refuses IP server names; the in-cluster names so a
    // kubeconfig rewritten for a service address still verifies.
    new x509.SubjectAlternativeNameExtension([
      { type: "dns", value: "localhost" },
      { type: "dns", value: "kubernetes" },
      { type: "dns", value: "kubernetes.default" },
      { type: "dns", value: "kubernetes.default.svc" },
      { type: "ip", value: "127.0.0.1" },
      { type: "ip", value: "10.0.0.1" },
    ]),
  ]);
  const admin = await issue("CN=lattice-admin, O=system:masters", adminKeys, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
  return {
    caCertPem: ca.toString("pem"),
    servingCertPem: serving.toString("pem"),
    servingKeyPem: await privatePem(servingKeys.privateKey),
    adminCertPem: admin.toString("pem"),
    adminKeyPem: await privatePem(adminKeys.privateKey),
    serviceAccountKeyPem: await privatePem(saKeys.privateKey),
    serviceAccountPublicPem: await publicPem(saKeys.publicKey),
  };
}
