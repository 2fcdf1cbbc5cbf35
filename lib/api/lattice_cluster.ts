/**
 * LatticeCluster (lattice.dev/v1alpha1, cluster-scoped): one Kubernetes cluster managed by
 * Lattice, provisioned through Cluster API by its parent cell and self-managing after the
 * pivot. The zod schemas here are the single source of the CRD's OpenAPI schema.
 */
import { z } from "zod";
import { ConditionSchema } from "./condition.ts";
import { ObjectMetaSchema } from "./metadata.ts";
import { ProviderConfigSchema } from "./providers.ts";
import {
  CELL_RULES,
  CLUSTER_DOCUMENT_RULES,
  NETWORKING_RULES,
  ODD_CONTROL_PLANE,
  SPEC_TRANSITION_RULES,
} from "./cluster_rules.ts";
import { withRules } from "./rules.ts";
import { certSan, cidr, dnsLabel, duration, fluxVersion, k8sVersion } from "./validators.ts";

/** API group of every Lattice resource. */
export const GROUP = "lattice.dev";
/** API version of every Lattice resource. */
export const VERSION = "v1alpha1";
/** `apiVersion` of every Lattice resource. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The Kubernetes distribution settings of a cluster. */
export const KubernetesSchema = z.strictObject({
  version: k8sVersion("Kubernetes version of the cluster, e.g. 1.31.0 (no leading v)."),
  bootstrap: z.enum(["kubeadm", "rke2"]).default("kubeadm")
    .describe("Bootstrap and control-plane provider: kubeadm or rke2."),
  certSANs: z.array(certSan("A DNS name or IP address."))
    .max(64, "must list no more than 64 names").optional()
    .describe("Extra Subject Alternative Names (DNS names or IPs) for the API server certificate."),
}).describe("Kubernetes version and bootstrap of the cluster.");

/** `spec.provider`. */
export const ProviderSchema = z.strictObject({
  kubernetes: KubernetesSchema,
  config: ProviderConfigSchema,
  csi: z.enum(["provider", "none"]).optional()
    .describe(
      "CSI driver of the cluster: provider (the cloud's block-storage driver, the default on " +
        "aws, openstack, gcp and azure) or none.",
    ),
}).describe("Where and how the cluster's machines are provisioned.");

/** `spec.nodes`. */
export const NodesSchema = z.strictObject({
  controlPlane: withRules(z.int().min(1, "must be >= 1").max(15, "must be <= 15"), [
    ODD_CONTROL_PLANE,
  ]).describe("Number of control-plane machines; odd numbers keep etcd quorum."),
  workers: z.int().min(0, "must be >= 0").max(5000, "must be <= 5000")
    .describe("Number of worker machines."),
}).describe("Node topology of the cluster.");

/** `spec.networking`. */
export const NetworkingSchema = z.strictObject({
  default: z.strictObject({
    cidr: cidr("Addresses for LoadBalancer Services (Cilium LB-IPAM pool)."),
  }).optional().describe("The default LoadBalancer IP pool."),
  pods: cidr("Pod network CIDR; 192.168.0.0/16 when omitted.").optional(),
  services: cidr("Service network CIDR; 10.128.0.0/12 when omitted.").optional(),
  cni: dnsLabel(
    "CNI the cluster runs; cilium when omitted. Only with cilium does Lattice apply " +
      "LB-IPAM pools (networking.default) and Cilium network policies.",
  ).optional(),
}).describe("Cluster networking.");

/** `spec.cell`. */
export const CellSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("Whether this cluster provisions children."),
  host: z.string().min(1).max(253).optional()
    .describe(
      "Address (DNS name or IP) children use to reach this cell. May be omitted only when " +
        "service.type is NodePort: the cell then advertises the name of the node it runs on.",
    ),
  service: z.strictObject({
    type: z.enum(["LoadBalancer", "NodePort", "ClusterIP"]).default("LoadBalancer")
      .describe(
        "Kubernetes Service type exposing the cell's endpoints. NodePort requires both " +
          "ports, each in 30000-32767 (the node port equals the port).",
      ),
  }).optional().describe("How the cell's endpoints are exposed."),
  ports: z.strictObject({
    https: z.int().min(1).max(65535).default(8443)
      .describe(
        "Port of the bootstrap webhook and the Kubernetes API proxy; with NodePort also " +
          "the node port (30000-32767).",
      ),
    grpc: z.int().min(1).max(65535).default(50051)
      .describe(
        "Port of the agent gRPC server; with NodePort also the node port (30000-32767).",
      ),
  }).optional().describe("Ports of the cell's endpoints; required with NodePort."),
}).describe("Present when this cluster is a cell and may provision children.");

/** `spec.flux`. */
export const FluxSchema = z.strictObject({
  version: fluxVersion("Flux version, a 2.x release, e.g. 2.2.0 (no leading v).").optional(),
  interval: duration("Reconciliation interval, e.g. 5m.").optional(),
  suspend: z.boolean().optional().describe("Suspend Flux reconciliation on this cluster."),
}).describe("Flux settings; unset fields inherit from the parent and the repo config.");

const SpecFields = z.strictObject({
  provider: ProviderSchema,
  nodes: NodesSchema,
  networking: withRules(NetworkingSchema, NETWORKING_RULES).optional(),
  cellRef: dnsLabel("Name of the parent cell; omitted on the root cluster.").optional(),
  cell: withRules(CellSchema, CELL_RULES).optional(),
  flux: FluxSchema.optional(),
}).describe("Desired state of the cluster.");

/** LatticeCluster `spec`, with the rules on fields that cannot change (lib/api/cluster_rules.ts). */
export const LatticeClusterSpecSchema = withRules(SpecFields, [], SPEC_TRANSITION_RULES);

/** Lifecycle phases of a LatticeCluster. */
export const PHASES = [
  "Pending",
  "Provisioning",
  "Pivoting",
  "Ready",
  "Failed",
  "Deleting",
] as const;

/** A lifecycle phase. */
export type Phase = (typeof PHASES)[number];

const count = (what: string) => z.int().min(0).describe(what);

/** Persisted progress of a pivot (or of an unpivot: the same machine, reversed). */
export const PivotProgressSchema = z.strictObject({
  phase: z.enum([
    "Pausing",
    "Sending",
    "Completing",
    "DeletingSource",
    "Done",
    "Aborting",
    "Aborted",
  ]).describe(
    "Step of the pivot: Pausing, Sending, Completing (commit point), DeletingSource, " +
      "Done, or Aborting/Aborted after a timeout rolled it back.",
  ),
  pivotId: z.string().min(1).max(63).describe("Id of this pivot attempt."),
  batchesAcked: count("Batches the child acknowledged in this attempt."),
  batchesTotal: count("Batches in this attempt.").optional(),
  objects: count("Objects in the move graph.").optional(),
  graphDigest: z.string().max(128).optional()
    .describe(
      "Digest of the ordered move graph; a resumed attempt skips acknowledged " +
        "batches only while it still matches.",
    ),
  startedAt: z.iso.datetime().describe("When this attempt started (its timeout runs from here)."),
  message: z.string().max(4096).optional().describe("Why the pivot waits or was rolled back."),
});

/** LatticeCluster `status`. */
export const LatticeClusterStatusSchema = z.strictObject({
  phase: z.enum(PHASES).optional()
    .describe("Lifecycle phase: Pending, Provisioning, Pivoting, Ready, Failed or Deleting."),
  observedGeneration: z.int().min(0).optional()
    .describe("The .metadata.generation this status was computed from."),
  conditions: z.array(ConditionSchema).optional()
    .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
    .describe("Standard conditions (Ready, Provisioned, Pivoted, AgentConnected, ...)."),
  provider: z.string().optional().describe("The infrastructure provider in use."),
  kubernetesVersion: z.string().optional().describe("Kubernetes version running now."),
  fluxVersion: z.string().optional().describe("Flux version running now."),
  nodes: z.strictObject({
    ready: count("Nodes that are Ready."),
    total: count("All nodes."),
    summary: z.string().optional().describe("ready/total, for the printer column."),
  }).optional().describe("Node counts."),
  agent: z.strictObject({
    connected: z.boolean().describe("Whether the agent stream is up."),
    lastHeartbeat: z.iso.datetime().optional().describe("Time of the last heartbeat."),
    version: z.string().optional().describe("Version of the connected agent."),
  }).optional().describe("The child's agent stream, as seen by the parent cell."),
  flux: z.strictObject({
    version: z.string().optional().describe("Installed Flux version."),
    installed: z.boolean().optional().describe("Whether Flux is installed."),
    healthy: z.boolean().optional().describe("Whether all Flux controllers run."),
    lastSync: z.iso.datetime().optional().describe("Time of the last successful sync."),
    controllers: z.record(z.string(), z.string()).optional()
      .describe("State of each Flux controller by name."),
    suspended: z.boolean().optional().describe("Whether syncing is suspended."),
    revision: z.string().max(256).optional()
      .describe("Git revision the cluster's folder was last applied at."),
    errors: z.array(z.string().max(1024)).max(10).optional()
      .describe("Why Flux is not healthy or not syncing (at most 10)."),
  }).optional().describe("Flux on the cluster."),
  lastReconciled: z.iso.datetime().optional().describe("Time of the last reconcile."),
  pivot: PivotProgressSchema.optional().describe(
    "Progress of the pivot into the child, persisted so it resumes after a crash.",
  ),
  pivoted: z.strictObject({
    phase: z.string().optional().describe("Phase the child reports for itself."),
    kubernetesVersion: z.string().optional().describe("Kubernetes version the child runs."),
    nodes: z.strictObject({
      ready: count("Nodes that are Ready on the child."),
      total: count("All nodes of the child."),
    }).optional().describe("Node counts the child reports."),
    fluxVersion: z.string().optional().describe("Flux version on the child."),
    lastReconciled: z.string().optional().describe("When the child last reconciled itself."),
    reportedAt: z.iso.datetime().optional().describe("When the parent received this view."),
    stale: z.boolean().optional().describe(
      "True when the agent has been silent longer than the stale limit: the view is old.",
    ),
    specHash: z.string().max(128).optional()
      .describe("SHA-256 of the spec the child runs, as it reports it."),
    specSynced: z.boolean().optional()
      .describe("Whether the child runs this copy's spec (its reported hash matches)."),
    children: z.array(z.string()).optional()
      .describe("The child's own children (a cell): deleting it waits for them."),
    immutable: z.record(z.string(), z.string()).optional().describe(
      "Fields fixed at creation (provider, region, bootstrap, networks) as the child was " +
        "built with: a copy changing them is refused, not sent.",
    ),
  }).optional().describe(
    "After the pivot, on the parent's copy: the child's own view of itself, from its agent.",
  ),
  unpivot: PivotProgressSchema.optional().describe(
    "Progress of the unpivot on the child (deletion moves its CAPI objects back).",
  ),
}).describe("Observed state of the cluster.");

const DocumentFields = z.strictObject({
  apiVersion: z.literal(API_VERSION).describe(`Always ${API_VERSION}.`),
  kind: z.literal("LatticeCluster").describe("Always LatticeCluster."),
  metadata: ObjectMetaSchema,
  spec: LatticeClusterSpecSchema,
  status: LatticeClusterStatusSchema.optional(),
}).describe("A Kubernetes cluster managed by Lattice.");

/** A whole LatticeCluster document, with the rules across metadata, spec and status. */
export const LatticeClusterSchema = withRules(DocumentFields, CLUSTER_DOCUMENT_RULES);

/** LatticeCluster as written by people (defaults not applied). */
export type LatticeClusterInput = z.input<typeof LatticeClusterSchema>;
/** LatticeCluster after validation, defaults applied. */
export type LatticeCluster = z.output<typeof LatticeClusterSchema>;
/** LatticeCluster spec after validation. */
export type LatticeClusterSpec = z.output<typeof LatticeClusterSpecSchema>;
/** LatticeCluster status. */
export type LatticeClusterStatus = z.output<typeof LatticeClusterStatusSchema>;
