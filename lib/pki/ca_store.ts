/**
 * The cell's CA persisted in a Secret in lattice-system, created on first start. Two
 * replicas starting together race on create; the loser reads the winner's CA, so a cell
 * only ever has one CA.
 */
import { isAlreadyExists, isNotFound } from "../kube/errors.ts";
import type { KubeObject, ResourceRef } from "../kube/types.ts";
import { type CertificateAuthority, createCa } from "./ca.ts";
import { verifyCertificate } from "./inspect.ts";
import { SECRET_REF } from "../kube/refs.ts";

export { SECRET_REF };

/** The namespace Lattice runs in. */
export const LATTICE_NAMESPACE = "lattice-system";
/** Default name of the CA Secret. */
export const CA_SECRET_NAME = "lattice-ca";

/** The part of `KubeClient` the PKI stores need (so tests and callers can pass any client). */
export interface SecretClient {
  get<T>(ref: ResourceRef, name: string, ns?: string): Promise<T>;
  create<T extends KubeObject>(obj: T): Promise<T>;
}

/** A Secret, as far as the PKI reads it. */
export interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** Options for {@linkcode loadOrCreateCa}. */
export interface LoadOrCreateCaOptions {
  /** CN of a new CA; default `lattice-ca`. Put the cell's cluster name in it. */
  commonName?: string;
  /** Secret name; default `lattice-ca`. */
  secretName?: string;
  /** Namespace; default `lattice-system`. */
  namespace?: string;
  /** Clock, for tests. */
  now?: Date;
}

/** Base64 of UTF-8 text (Secret `data`). */
export function encodeBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** UTF-8 text of base64 (Secret `data`). */
export function decodeBase64(b64: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
}

/** The `kubernetes.io/tls` Secret holding a CA. */
export function caSecret(
  ca: CertificateAuthority,
  options: { name?: string; namespace?: string } = {},
): SecretObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: options.name ?? CA_SECRET_NAME,
      namespace: options.namespace ?? LATTICE_NAMESPACE,
      labels: { "app.kubernetes.io/part-of": "lattice", "lattice.dev/role": "ca" },
    },
    type: "kubernetes.io/tls",
    data: { "tls.crt": encodeBase64(ca.certPem), "tls.key": encodeBase64(ca.keyPem) },
  };
}

async function fromSecret(secret: SecretObject, now?: Date): Promise<CertificateAuthority> {
  const name = `${secret.metadata?.namespace}/${secret.metadata?.name}`;
  const crt = secret.data?.["tls.crt"];
  const key = secret.data?.["tls.key"];
  if (!crt || !key) throw new Error(`Cannot load CA: Secret ${name} lacks tls.crt or tls.key`);
  const ca = { certPem: decodeBase64(crt), keyPem: decodeBase64(key) };
  // A self-signed CA verifies against itself; this also rejects an expired CA loudly.
  if (!(await verifyCertificate(ca.certPem, ca.certPem, { now }))) {
    throw new Error(`Cannot load CA: Secret ${name} holds an invalid or expired CA certificate`);
  }
  return ca;
}

/**
 * Returns the cell's CA from its Secret, creating both on first start. Any error other
 * than "not found"/"already exists" is thrown: a cell must never silently mint a second CA.
 */
export async function loadOrCreateCa(
  client: SecretClient,
  options: LoadOrCreateCaOptions = {},
): Promise<CertificateAuthority> {
  const name = options.secretName ?? CA_SECRET_NAME;
  const namespace = options.namespace ?? LATTICE_NAMESPACE;
  try {
    return await fromSecret(
      await client.get<SecretObject>(SECRET_REF, name, namespace),
      options.now,
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const ca = await createCa({ commonName: options.commonName ?? "lattice-ca", now: options.now });
  try {
    await client.create(caSecret(ca, { name, namespace }));
    return ca;
  } catch (error) {
    if (!isAlreadyExists(error)) {
      throw new Error(`Cannot create CA Secret ${namespace}/${name}`, { cause: error });
    }
  }
  return await fromSecret(await client.get<SecretObject>(SECRET_REF, name, namespace), options.now);
}
