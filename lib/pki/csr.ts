/** Certificate signing requests, made where the key was generated (the joining child). */
import "reflect-metadata";
import { Pkcs10CertificateRequestGenerator } from "@peculiar/x509";
import { SIGNING_ALGORITHM } from "./keys.ts";

/** Options for {@linkcode createCsr}. */
export interface CreateCsrOptions {
  /** Subject CN: the cluster name the certificate is asked for. */
  commonName: string;
}

/** Creates a PEM PKCS#10 CSR signed by `keys` (ECDSA P-256, SHA-256). */
export async function createCsr(keys: CryptoKeyPair, options: CreateCsrOptions): Promise<string> {
  const csr = await Pkcs10CertificateRequestGenerator.create({
    name: `CN=${options.commonName.replace(/([,+"\\<>;=])/g, "\\$1")}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return csr.toString("pem");
}
