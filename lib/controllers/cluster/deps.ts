/**
 * What the phase functions share: the API client, the injected neighbours, tunables, and
 * resource lookups (folder-internal).
 */
import type { KubeClient, KubeObject, ResourceRef } from "../../kube/mod.ts";
import { isNotFound } from "../../kube/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { BootstrapTokens, CellIdentity, ChildLink, PivotHandoff } from "./types.ts";
import { LATTICE_CLUSTER_REF } from "../../api/refs.ts";

export { LATTICE_CLUSTER_REF };

/** Finalizer that holds a LatticeCluster until its CAPI objects are gone. */
export const CLUSTER_FINALIZER = "lattice.dev/cluster";

/** Field manager of the cell's full apply of generated objects. */
export const CELL_FIELD_MANAGER = "lattice";
/** Field manager of self mode's targeted changes (replicas, versions) only. */
export const SELF_FIELD_MANAGER = "lattice-self";
/** Field manager of the status fields this controller owns. */
export const STATUS_FIELD_MANAGER = "lattice-cluster-status";

/** Dependencies of the phase functions. */
export interface Deps {
  client: KubeClient;
  log: Logger;
  selfName: string;
  cell?: CellIdentity;
  tokens?: BootstrapTokens;
  pivot?: PivotHandoff;
  /** The link to pivoted children (spec down, status up, unpivot). */
  child?: ChildLink;
  /**
   * The controller's cache of the CAPI Clusters it generated (key `namespace/name`), fed by
   * its watch; absent, they are read from the API server.
   */
  capiClusters?: { get(key: string): Readonly<KubeObject> | undefined };
  /** Requeue delay while waiting on CAPI. */
  pollMs: number;
  /** Requeue delay while the pivot runs or CAPI objects are being deleted. */
  shortPollMs: number;
}

/**
 * The resource of `kind`, or undefined when the server does not serve it (its provider's
 * CRDs are not installed). Other discovery failures throw.
 */
export async function servedResource(
  deps: Deps,
  apiVersion: string,
  kind: string,
): Promise<ResourceRef | undefined> {
  try {
    return await deps.client.resourceFor(apiVersion, kind);
  } catch (e) {
    const cause = (e as Error).cause;
    if (cause === undefined || isNotFound(cause)) return undefined;
    throw e;
  }
}

/** GET that answers undefined on 404. */
export async function getOptional(
  deps: Deps,
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
): Promise<KubeObject | undefined> {
  const ref = await deps.client.resourceFor(apiVersion, kind);
  try {
    return await deps.client.get<KubeObject>(ref, name, namespace);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
