/**
 * The mesh resources as read from the API, and the view of environments the service
 * reconciler is handed.
 */
import type { LatticeEnvironment, LatticeService } from "../../api/mod.ts";
import type { ObjectMeta as KubeMeta, OwnerReference } from "../../kube/mod.ts";

/** A LatticeService as read from the API. */
export type ServiceObject = Omit<LatticeService, "metadata"> & {
  metadata: LatticeService["metadata"] & KubeMeta;
};

/** A LatticeEnvironment as read from the API. */
export type EnvironmentObject = Omit<LatticeEnvironment, "metadata"> & {
  metadata: LatticeEnvironment["metadata"] & KubeMeta;
};

/** Where the service reconciler reads the namespace → environment map. */
export interface EnvironmentSource {
  /** False until the environments have been listed (no mapping may be assumed before). */
  readonly isReady: boolean;
  /** Every environment. */
  list(): readonly Readonly<EnvironmentObject>[];
}

/** The namespace → environment map; a namespace claimed twice goes to the first by name. */
export function environmentMap(envs: readonly Readonly<EnvironmentObject>[]): Map<string, string> {
  const map = new Map<string, string>();
  const sorted = [...envs].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const env of sorted) {
    for (const ns of env.spec.namespaces) if (!map.has(ns)) map.set(ns, env.metadata.name);
  }
  return map;
}

/** The controller owner reference to a LatticeService. */
export function ownerOf(svc: Readonly<ServiceObject>): OwnerReference | undefined {
  if (!svc.metadata.uid) return undefined;
  return {
    apiVersion: svc.apiVersion,
    kind: "LatticeService",
    name: svc.metadata.name,
    uid: svc.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
