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

/** LatticeServiceRegistrations (cluster-scoped). */
export const LATTICE_SERVICE_REGISTRATION_REF: ResourceRef = {
  group: "lattice.dev",
  version: "v1alpha1",
  plural: "latticeserviceregistrations",
  kind: "LatticeServiceRegistration",
  namespaced: false,
};

/** LatticeServicePlacements (cluster-scoped). */
export const LATTICE_SERVICE_PLACEMENT_REF: ResourceRef = {
  group: "lattice.dev",
  version: "v1alpha1",
  plural: "latticeserviceplacements",
  kind: "LatticeServicePlacement",
  namespaced: false,
};
