/**
 * The registry of Lattice custom resources. `deno task generate` writes one YAML file per
 * entry into crds/; the operator and the child bundle use the same objects in memory, so a
 * compiled binary never reads CRD files from disk.
 */
import { stringify } from "yaml";
import { type CrdDefinition, crdFromDefinition, type CustomResourceDefinition } from "./crd.ts";
import {
  GROUP,
  LatticeClusterSpecSchema,
  LatticeClusterStatusSchema,
  VERSION,
} from "./lattice_cluster.ts";
import { LATTICE_ENVIRONMENT_CRD, LATTICE_SERVICE_CRD } from "./mesh_crds.ts";
import { LatticeRepoConfigSpecSchema } from "./repo_config.ts";
import { LatticeServicePlacementSpecSchema } from "./service_placement.ts";
import { LatticeServicePlacementStatusSchema } from "./service_placement_status.ts";
import { LatticeServiceRegistrationSpecSchema } from "./service_registration.ts";
import { CLUSTER_DOCUMENT_RULES } from "./cluster_rules.ts";
import { celValidation } from "./rules.ts";
import { DNS1123_LABEL } from "./validators.ts";

/** LatticeCluster's CRD definition. */
export const LATTICE_CLUSTER_CRD: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: "LatticeCluster",
  plural: "latticeclusters",
  singular: "latticecluster",
  shortNames: ["lc"],
  categories: ["lattice"],
  scope: "Cluster",
  spec: LatticeClusterSpecSchema,
  status: LatticeClusterStatusSchema,
  description: "A Kubernetes cluster managed by Lattice: provisioned through Cluster API " +
    "by its parent cell, then self-managing after the pivot.",
  validations: [{
    rule: `self.metadata.name.size() <= 63 && self.metadata.name.matches('${DNS1123_LABEL}')`,
    message: "metadata.name must be a DNS-1123 label (a-z, 0-9, '-'; at most 63 characters)",
  }, ...CLUSTER_DOCUMENT_RULES.map(celValidation)],
  printerColumns: [
    { name: "Phase", type: "string", jsonPath: ".status.phase", description: "Lifecycle phase" },
    {
      name: "Provider",
      type: "string",
      jsonPath: ".status.provider",
      description: "Infrastructure provider",
    },
    {
      name: "Version",
      type: "string",
      jsonPath: ".spec.provider.kubernetes.version",
      description: "Desired Kubernetes version",
    },
    {
      name: "Nodes",
      type: "string",
      jsonPath: ".status.nodes.summary",
      description: "Nodes ready/total",
    },
    {
      name: "Running",
      type: "string",
      jsonPath: ".status.kubernetesVersion",
      description: "Kubernetes version running now (after the pivot: as the child reports it)",
    },
    {
      name: "Agent",
      type: "boolean",
      jsonPath: ".status.agent.connected",
      description: "Whether the child's agent stream is up",
    },
    {
      name: "Heartbeat",
      type: "date",
      jsonPath: ".status.agent.lastHeartbeat",
      description: "Last heartbeat of the child's agent",
    },
    {
      name: "Synced",
      type: "boolean",
      jsonPath: ".status.pivoted.specSynced",
      description: "Whether the pivoted child runs this copy's spec",
    },
    {
      name: "Stale",
      type: "boolean",
      jsonPath: ".status.pivoted.stale",
      description: "Whether the child's reported view is older than the stale limit",
    },
    {
      name: "Child",
      type: "string",
      jsonPath: ".status.pivoted.phase",
      description: "Phase the pivoted child reports for itself",
      priority: 1,
    },
    {
      name: "Flux",
      type: "string",
      jsonPath: ".status.pivoted.fluxVersion",
      description: "Flux version the child reports",
      priority: 1,
    },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

const nameRule = {
  rule: `self.metadata.name.size() <= 63 && self.metadata.name.matches('${DNS1123_LABEL}')`,
  message: "metadata.name must be a DNS-1123 label (a-z, 0-9, '-'; at most 63 characters)",
};

/**
 * LatticeServiceRegistration's CRD definition. Cluster-scoped like LatticeCluster: the
 * repository's files carry no namespace and a catalog entry belongs to a cluster, not to
 * a tenant namespace (see docs/gitops.md).
 */
export const LATTICE_SERVICE_REGISTRATION_CRD: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: "LatticeServiceRegistration",
  plural: "latticeserviceregistrations",
  singular: "latticeserviceregistration",
  shortNames: ["lsr"],
  categories: ["lattice"],
  scope: "Cluster",
  spec: LatticeServiceRegistrationSpecSchema,
  description: "A service in the catalog: where its manifests live and the defaults every " +
    "placement starts from.",
  validations: [nameRule],
  printerColumns: [
    { name: "URL", type: "string", jsonPath: ".spec.source.git.url", description: "Git URL" },
    { name: "Path", type: "string", jsonPath: ".spec.source.git.path" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

/** LatticeServicePlacement's CRD definition (cluster-scoped, see above). */
export const LATTICE_SERVICE_PLACEMENT_CRD: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: "LatticeServicePlacement",
  plural: "latticeserviceplacements",
  singular: "latticeserviceplacement",
  shortNames: ["lsp"],
  categories: ["lattice"],
  scope: "Cluster",
  spec: LatticeServicePlacementSpecSchema,
  status: LatticeServicePlacementStatusSchema,
  description: "A registered service placed on the cluster it is applied to, with overrides.",
  validations: [nameRule],
  printerColumns: [
    { name: "Service", type: "string", jsonPath: ".spec.serviceRef" },
    { name: "Replicas", type: "integer", jsonPath: ".spec.overrides.replicas" },
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Revision", type: "string", jsonPath: ".status.revision" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

/** LatticeRepoConfig's CRD definition (cluster-scoped: one per repository). */
export const LATTICE_REPO_CONFIG_CRD: CrdDefinition = {
  group: GROUP,
  version: VERSION,
  kind: "LatticeRepoConfig",
  plural: "latticerepoconfigs",
  singular: "latticerepoconfig",
  categories: ["lattice"],
  scope: "Cluster",
  spec: LatticeRepoConfigSpecSchema,
  description: "Settings of a Lattice cluster repository (.lattice/config.yaml): git, " +
    "Flux and defaults for new clusters.",
  validations: [nameRule],
  printerColumns: [
    { name: "Flux", type: "string", jsonPath: ".spec.flux.version" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

/** Every Lattice CRD definition, in file order. */
export const CRD_DEFINITIONS: readonly CrdDefinition[] = [
  LATTICE_CLUSTER_CRD,
  LATTICE_SERVICE_REGISTRATION_CRD,
  LATTICE_SERVICE_PLACEMENT_CRD,
  LATTICE_REPO_CONFIG_CRD,
  LATTICE_SERVICE_CRD,
  LATTICE_ENVIRONMENT_CRD,
];

/** Every Lattice CRD object. */
export function latticeCrds(): CustomResourceDefinition[] {
  return CRD_DEFINITIONS.map(crdFromDefinition);
}

/** The file name `deno task generate` writes a CRD to, e.g. lattice.dev_latticeclusters.yaml. */
export function crdFileName(def: CrdDefinition): string {
  return `${def.group}_${def.plural}.yaml`;
}

/** The exact text written to crds/ for one definition. */
export function renderCrd(def: CrdDefinition): string {
  return "# Generated by `deno task generate` from lib/api (zod). Do not edit.\n---\n" +
    stringify(crdFromDefinition(def), { lineWidth: 0 });
}
