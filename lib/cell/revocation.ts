/**
 * Revoking a cluster's client certificates when its LatticeCluster is deleted. A revocation
 * is a cut-off per cluster name: every certificate the cell issued to that name up to the
 * cut-off is refused for ever — at connect and at renewal — whatever its serial, including
 * copies the cell never saw. It is persisted in the ConfigMap
 * `lattice-system/lattice-revoked-certificates` (one key per cluster, the cut-off as
 * RFC 3339), so it survives restarts and leader changes, and every replica reads it.
 *
 * The issue time of a certificate is read back from its notBefore, which the CA sets
 * exactly {@linkcode BACKDATE_MS} before issuing (lib/pki/ca.ts). A cluster created again
 * under the same name registers anew and gets a certificate issued after the cut-off.
 */
import { NAMESPACE } from "../bundle/names.ts";
import { ApiError, isAlreadyExists, isConflict } from "../kube/errors.ts";
import { CONFIGMAP_REF } from "../kube/refs.ts";
import type { KubeObject, ResourceRef } from "../kube/types.ts";
import { BACKDATE_MS, certificateNotBefore } from "../pki/mod.ts";

/** Where revocations are kept. */
export const REVOCATIONS_CONFIGMAP = { namespace: NAMESPACE, name: "lattice-revoked-certificates" };

/** The client calls revocation makes (a subset of `KubeClient`). */
export interface RevocationClient {
  get<T = KubeObject>(ref: ResourceRef, name: string, ns?: string): Promise<T>;
  create<T extends KubeObject>(obj: T): Promise<T>;
  replace<T extends KubeObject>(obj: T): Promise<T>;
}

interface RevocationsMap extends KubeObject {
  data?: Record<string, string>;
}

async function readMap(client: RevocationClient): Promise<RevocationsMap | undefined> {
  try {
    return await client.get<RevocationsMap>(
      CONFIGMAP_REF,
      REVOCATIONS_CONFIGMAP.name,
      REVOCATIONS_CONFIGMAP.namespace,
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** Options for {@linkcode revokeClusterCertificates}. */
export interface RevokeOptions {
  /** The cut-off; default now. */
  now?: Date;
  /**
   * Nothing is written when the cluster already has a cut-off at or after this time. The
   * deletion path passes the LatticeCluster's deletionTimestamp: from then on no
   * certificate can be issued to it (registration and renewal need a living cluster), so
   * one write per deletion suffices however often the step runs.
   */
  unlessRevokedSince?: Date;
}

/**
 * Revokes every client certificate issued to `cluster` until now, persistently (see the
 * module comment). Safe to call again; concurrent writers are merged.
 */
export async function revokeClusterCertificates(
  client: RevocationClient,
  cluster: string,
  options: RevokeOptions = {},
): Promise<void> {
  const now = options.now ?? new Date();
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await readMap(client);
    const known = Date.parse(existing?.data?.[cluster] ?? "");
    if (options.unlessRevokedSince && known >= options.unlessRevokedSince.getTime()) return;
    const data = { ...existing?.data, [cluster]: now.toISOString() };
    try {
      if (!existing) {
        await client.create({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: REVOCATIONS_CONFIGMAP.name,
            namespace: REVOCATIONS_CONFIGMAP.namespace,
            labels: { "app.kubernetes.io/managed-by": "lattice" },
          },
          data,
        });
      } else {
        await client.replace({ ...existing, data });
      }
      return;
    } catch (error) {
      // Another replica or deletion wrote first: read again and merge.
      if (isConflict(error) || isAlreadyExists(error)) continue;
      // No lattice-system yet (a cell creates it when it starts; a bare controller may not).
      if (!existing && error instanceof ApiError && error.status === 404) {
        await client.create({
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: REVOCATIONS_CONFIGMAP.namespace },
        }).catch((cause) => {
          if (!isAlreadyExists(cause)) throw cause;
        });
        continue;
      }
      throw error;
    }
  }
  throw new Error(`Cannot revoke the certificates of ${cluster}: the ConfigMap keeps changing`);
}

/** Options for {@linkcode RevocationList}. */
export interface RevocationListOptions {
  /** How long a read of the ConfigMap is reused; default 2 s. */
  cacheMs?: number;
  now?: () => number;
}

/** Reads revocations for the agent server's checks. */
export class RevocationList {
  readonly #client: RevocationClient;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #cached?: { at: number; data: Record<string, string> };

  constructor(client: RevocationClient, options: RevocationListOptions = {}) {
    this.#client = client;
    this.#cacheMs = options.cacheMs ?? 2_000;
    this.#now = options.now ?? Date.now;
  }

  /** The cut-off of `cluster` in epoch ms, if it was ever revoked. */
  async revokedAt(cluster: string): Promise<number | undefined> {
    if (!this.#cached || this.#now() - this.#cached.at > this.#cacheMs) {
      const map = await readMap(this.#client);
      this.#cached = { at: this.#now(), data: map?.data ?? {} };
    }
    const value = this.#cached.data[cluster];
    return value ? Date.parse(value) : undefined;
  }

  /** Whether `certPem`, a certificate of `cluster`, was issued before its revocation. */
  async isRevoked(cluster: string, certPem: string): Promise<boolean> {
    const cutOff = await this.revokedAt(cluster);
    if (cutOff === undefined) return false;
    return certificateNotBefore(certPem).getTime() + BACKDATE_MS <= cutOff;
  }
}
