/** The API resources of Lattice's own kinds, for clients. */
import type { ResourceRef } from "../kube/types.ts";
import { LATTICE_CLUSTER_CRD } from "./crds.ts";

/** LatticeClusters (cluster-scoped). */
export const LATTICE_CLUSTER_REF: ResourceRef = {
  group: LATTICE_CLUSTER_CRD.group,
  version: LATTICE_CLUSTER_CRD.version,
  plural: LATTICE_CLUSTER_CRD.plural,
  kind: LATTICE_CLUSTER_CRD.kind,
  namespaced: false,
};
