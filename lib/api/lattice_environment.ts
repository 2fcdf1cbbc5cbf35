/**
 * LatticeEnvironment (lattice.dev/v1alpha1, cluster-scoped): an environment (prod,
 * staging, dev, ...) is a set of namespaces, created on the clusters whose LatticeCluster
 * labels match `clusterSelector`. Services in different environments never talk unless
 * both sides name the other's environment in their mesh entry (see docs/mesh.md).
 */
import { z } from "zod";
import { ConditionSchema } from "./condition.ts";
import { API_VERSION } from "./lattice_cluster.ts";
import { ObjectMetaSchema } from "./metadata.ts";
import { dnsLabel } from "./validators.ts";

/** Namespaces the mesh's default deny never touches (plus every `capi-*` namespace). */
export const EXCLUDED_NAMESPACES = [
  "kube-system",
  "cilium-system",
  "istio-system",
  "lattice-system",
  "cert-manager",
] as const;

/** True for a namespace the mesh leaves alone. */
export function isExcludedNamespace(ns: string): boolean {
  return (EXCLUDED_NAMESPACES as readonly string[]).includes(ns) || ns.startsWith("capi-");
}

const SYSTEM_MESSAGE = `system namespaces (${EXCLUDED_NAMESPACES.join(", ")}, capi-*) ` +
  "cannot belong to an environment: the mesh leaves them open";

const systemRule = {
  rule: `self.all(ns, !(ns in [${EXCLUDED_NAMESPACES.map((n) => `'${n}'`).join(", ")}]) && ` +
    "!ns.startsWith('capi-'))",
  message: SYSTEM_MESSAGE,
};

/** Label keys and values, as Kubernetes label selectors take them. */
const LabelMapSchema = z.record(z.string().min(1).max(317), z.string().max(63));

/** LatticeEnvironment `spec`. */
export const LatticeEnvironmentSpecSchema = z.strictObject({
  namespaces: z.array(dnsLabel("A namespace of the environment.")).min(1).max(256)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((ns, i) => {
        if (seen.has(ns)) ctx.addIssue({ code: "custom", path: [i], message: "duplicate" });
        if (isExcludedNamespace(ns)) {
          ctx.addIssue({ code: "custom", path: [i], message: SYSTEM_MESSAGE });
        }
        seen.add(ns);
      });
    }).meta({ "x-kubernetes-list-type": "set", "x-kubernetes-validations": [systemRule] })
    .describe("Namespaces of the environment; created on every matching cluster."),
  clusterSelector: z.strictObject({
    matchLabels: LabelMapSchema.optional()
      .describe("Labels a LatticeCluster must carry; every cluster when empty."),
  }).optional().describe("Which clusters run this environment (by their labels)."),
  description: z.string().max(1024).optional().describe("What the environment is for."),
}).describe("An environment: namespaces and the clusters they live on.");

/** LatticeEnvironment `status`. */
export const LatticeEnvironmentStatusSchema = z.strictObject({
  observedGeneration: z.int().min(0).optional()
    .describe("The .metadata.generation this status was computed from."),
  active: z.boolean().optional()
    .describe("Whether this cluster's labels match (its namespaces exist here)."),
  selector: z.string().optional().describe("The cluster selector as text, e.g. env=prod."),
  namespaceList: z.string().optional().describe("Namespaces, comma-separated."),
  clusters: z.array(z.string()).optional()
    .describe("LatticeClusters known to this cluster whose labels match."),
  clusterList: z.string().optional().describe("Matching clusters, comma-separated."),
  conditions: z.array(ConditionSchema).optional()
    .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
    .describe("Ready; NamespaceConflict when a namespace belongs to another environment."),
}).describe("Observed state of the environment.");

/** A whole LatticeEnvironment document. */
export const LatticeEnvironmentSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION).describe(`Always ${API_VERSION}.`),
  kind: z.literal("LatticeEnvironment").describe("Always LatticeEnvironment."),
  metadata: ObjectMetaSchema,
  spec: LatticeEnvironmentSpecSchema,
  status: LatticeEnvironmentStatusSchema.optional(),
}).describe("An environment (prod, staging, dev).");

/** LatticeEnvironment after validation. */
export type LatticeEnvironment = z.output<typeof LatticeEnvironmentSchema>;
/** LatticeEnvironment as written by people. */
export type LatticeEnvironmentInput = z.input<typeof LatticeEnvironmentSchema>;
/** LatticeEnvironment status. */
export type LatticeEnvironmentStatus = z.output<typeof LatticeEnvironmentStatusSchema>;
