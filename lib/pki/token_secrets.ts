/**
 * Bootstrap token records kept in Secrets in lattice-system (one per cluster), so a
 * restart or a leader change keeps them. Compare-and-swap rides on resourceVersion:
 * create fails with AlreadyExists and replace with Conflict when another writer won.
 */
import { isAlreadyExists, isConflict, isNotFound } from "../kube/errors.ts";
import {
  decodeBase64,
  encodeBase64,
  LATTICE_NAMESPACE,
  SECRET_REF,
  type SecretClient,
  type SecretObject,
} from "./ca_store.ts";
import type { KubeObject } from "../kube/types.ts";
import type { StoredToken, TokenBackend, TokenRecord } from "./tokens.ts";

/** The client calls the Secret backend makes (a subset of `KubeClient`). */
export interface TokenSecretClient extends SecretClient {
  replace<T extends KubeObject>(obj: T): Promise<T>;
  delete(ref: typeof SECRET_REF, name: string, ns?: string): Promise<void>;
}

/** Options for {@linkcode SecretTokenBackend}. */
export interface SecretTokenBackendOptions {
  /** Namespace; default lattice-system. */
  namespace?: string;
}

/** Name of the Secret holding `cluster`'s token record. */
export function tokenSecretName(cluster: string): string {
  return `lattice-bootstrap-${cluster}`;
}

/** A {@linkcode TokenBackend} on Kubernetes Secrets. */
export class SecretTokenBackend implements TokenBackend {
  readonly #client: TokenSecretClient;
  readonly #namespace: string;

  constructor(client: TokenSecretClient, options: SecretTokenBackendOptions = {}) {
    this.#client = client;
    this.#namespace = options.namespace ?? LATTICE_NAMESPACE;
  }

  async read(cluster: string): Promise<StoredToken | undefined> {
    let secret: SecretObject;
    try {
      secret = await this.#client.get<SecretObject>(
        SECRET_REF,
        tokenSecretName(cluster),
        this.#namespace,
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const raw = secret.data?.["record.json"];
    if (!raw) {
      throw new Error(`Cannot read bootstrap token of ${cluster}: Secret lacks record.json`);
    }
    return {
      record: JSON.parse(decodeBase64(raw)) as TokenRecord,
      version: secret.metadata?.resourceVersion ?? "",
    };
  }

  async write(cluster: string, record: TokenRecord, version?: string): Promise<"ok" | "conflict"> {
    const secret: SecretObject = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: tokenSecretName(cluster),
        namespace: this.#namespace,
        labels: {
          "app.kubernetes.io/part-of": "lattice",
          "lattice.dev/role": "bootstrap-token",
          "lattice.dev/cluster": cluster,
        },
        ...(version === undefined ? {} : { resourceVersion: version }),
      },
      type: "Opaque",
      data: { "record.json": encodeBase64(JSON.stringify(record)) },
    };
    try {
      if (version === undefined) await this.#client.create(secret);
      else await this.#client.replace(secret);
      return "ok";
    } catch (error) {
      if (isAlreadyExists(error) || isConflict(error) || isNotFound(error)) return "conflict";
      throw new Error(`Cannot store bootstrap token of ${cluster}`, { cause: error });
    }
  }

  async remove(cluster: string): Promise<void> {
    try {
      await this.#client.delete(SECRET_REF, tokenSecretName(cluster), this.#namespace);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
