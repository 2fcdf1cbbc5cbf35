/**
 * CRD definitions of the mesh resources: LatticeService (namespaced) and
 * LatticeEnvironment (cluster-scoped), and their API resources for clients.
 */
import type { ResourceRef } from "../kube/types.ts";
import type { CrdDefinition } from "./crd.ts";
import {
  LatticeEnvironmentSpecSchema,
  LatticeEnvironmentStatusSchema,
} from "./lattice_environment.ts";
import { GROUP, VERSION } from "./lattice_cluster.ts";
import {
  DNS1035_LABEL,
  LatticeServiceSpecSchema,
  LatticeServiceStatusSchema,
} from "./lattice_service.ts";
import { DNS1123_LABEL } from "./validators.ts";

const nameRule = {
  rule: `self.metadata.name.size() <= 63 && self.metadata.name.matches('${DNS1123_LABEL}')`,
  message: "metadata.name must be a DNS-1123 label (a-z, 0-9, '-'; at most 63 characters)",
};

/** A LatticeService also names a Service, whose name must start with a letter. */
const serviceNameRule = {
  rule: `self.metadata.name.size() <= 63 && self.metadata.name.matches('${DNS1035_LABEL}')`,
  message: "metadata.name must be a DNS-1035 label (a-z, 0-9, '-', starting with a letter; " +
    "at most 63 characters)",
};

/** LatticeService's CRD definition. */
export const LATTICE_SERVICE_CRD: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: "LatticeService",
  plural: "latticeservices",
  singular: "latticeservice",
  shortNames: ["lsvc"],
  categories: ["lattice"],
  scope: "Namespaced",
  spec: LatticeServiceSpecSchema,
  status: LatticeServiceStatusSchema,
  description: "A Score-compatible workload. Its `service` resources form the bilateral " +
    "mesh: traffic flows only when the caller declares outbound and the callee inbound.",
  validations: [serviceNameRule],
  printerColumns: [
    { name: "Ready", type: "string", jsonPath: ".status.replicas.summary" },
    { name: "Strategy", type: "string", jsonPath: ".status.strategy" },
    {
      name: "Agreed",
      type: "integer",
      jsonPath: ".status.agreedCount",
      description: "Dependencies both sides declare",
    },
    {
      name: "Pending",
      type: "integer",
      jsonPath: ".status.pendingCount",
      description: "Dependencies only this side declares",
    },
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

/** LatticeEnvironment's CRD definition. */
export const LATTICE_ENVIRONMENT_CRD: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: "LatticeEnvironment",
  plural: "latticeenvironments",
  singular: "latticeenvironment",
  shortNames: ["lenv"],
  categories: ["lattice"],
  scope: "Cluster",
  spec: LatticeEnvironmentSpecSchema,
  status: LatticeEnvironmentStatusSchema,
  description: "An environment (prod, staging, dev): namespaces isolated from other " +
    "environments' and the clusters (by label) they are created on.",
  validations: [nameRule],
  printerColumns: [
    { name: "Namespaces", type: "string", jsonPath: ".status.namespaceList" },
    { name: "Selector", type: "string", jsonPath: ".status.selector" },
    { name: "Clusters", type: "string", jsonPath: ".status.clusterList" },
    { name: "Active", type: "boolean", jsonPath: ".status.active" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

function refOf(def: CrdDefinition): ResourceRef {
  return {
    group: def.group,
    version: def.version,
    plural: def.plural,
    kind: def.kind,
    namespaced: def.scope === "Namespaced",
  };
}

/** LatticeServices (namespaced). */
export const LATTICE_SERVICE_REF: ResourceRef = refOf(LATTICE_SERVICE_CRD);
/** LatticeEnvironments (cluster-scoped). */
export const LATTICE_ENVIRONMENT_REF: ResourceRef = refOf(LATTICE_ENVIRONMENT_CRD);
