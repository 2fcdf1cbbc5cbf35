/**
 * An adapter from the cell's token issuer (lib/pki, which stores only token hashes) to
 * the {@linkcode BootstrapTokens} the controller needs: the plaintext of a freshly issued
 * token is written once into a Secret in the cluster's `capi-<name>` namespace, from
 * which CAPI copies it onto the first control-plane node.
 */
import { clusterLabels } from "../../capi/mod.ts";
import { isNotFound, type KubeClient } from "../../kube/mod.ts";
import type { BootstrapTokens, ClusterObject, TokenSecretRef } from "./types.ts";
import { SECRET_REF } from "../../kube/refs.ts";

/** Name of the token Secret in `capi-<name>`. */
export const JOIN_TOKEN_SECRET = "lattice-join-token";
/** Key of the token in that Secret. */
export const JOIN_TOKEN_KEY = "token";

/** What the adapter needs of a token issuer (lib/pki's BootstrapTokens fits). */
export interface TokenIssuer {
  /** A new token when none is usable, else undefined (the current one holds). */
  ensure(cluster: string): Promise<{ token: string } | undefined>;
  /** A new token, replacing any previous one. */
  issue(cluster: string): Promise<{ token: string }>;
  /** Forgets the cluster's token. */
  revoke(cluster: string): Promise<void>;
}

/** {@linkcode BootstrapTokens} over a {@linkcode TokenIssuer} and Secrets. */
export function secretBootstrapTokens(base: KubeClient, issuer: TokenIssuer): BootstrapTokens {
  const writeWith = async (
    client: KubeClient,
    cluster: string,
    namespace: string,
    token: string,
  ) => {
    await client.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: JOIN_TOKEN_SECRET, namespace, labels: clusterLabels(cluster) },
      type: "Opaque",
      stringData: { [JOIN_TOKEN_KEY]: token },
    });
  };
  return {
    async ensure(
      cluster: ClusterObject,
      namespace: string,
      options: { signal?: AbortSignal } = {},
    ): Promise<TokenSecretRef> {
      const name = cluster.metadata.name;
      const client = options.signal ? base.withSignal(options.signal) : base;
      const write = (name: string, namespace: string, token: string) =>
        writeWith(client, name, namespace, token);
      const issued = await issuer.ensure(name);
      if (issued) {
        await write(name, namespace, issued.token);
      } else {
        // The record holds but the plaintext is gone (namespace recreated): mint anew.
        try {
          await client.get(SECRET_REF, JOIN_TOKEN_SECRET, namespace);
        } catch (e) {
          if (!isNotFound(e)) throw e;
          await write(name, namespace, (await issuer.issue(name)).token);
        }
      }
      return { name: JOIN_TOKEN_SECRET, key: JOIN_TOKEN_KEY };
    },
    release: (cluster: string) => issuer.revoke(cluster),
  };
}
