/**
 * LatticeService (lattice.dev/v1alpha1, namespaced): a Score-compatible workload
 * (containers, service ports, resources) with the bilateral service mesh. A `resources`
 * entry of type `service` names a peer and a direction; traffic from a caller to a callee
 * flows only when the caller declares `outbound` (or `both`) and the callee declares
 * `inbound` (or `both`) for each other. See docs/mesh.md.
 */
import { z } from "zod";
import { ConditionSchema } from "./condition.ts";
import { API_VERSION } from "./lattice_cluster.ts";
import { ObjectMetaSchema } from "./metadata.ts";
import { DNS1123_LABEL, dnsLabel } from "./validators.ts";
import { ResourceRequirementsSchema } from "./workload.ts";

/** Score's resource key: a DNS-1123 label (it also names the peer of a service entry). */
const RESOURCE_KEY = DNS1123_LABEL;

/** A mesh direction: who may call whom. */
export const DIRECTIONS = ["inbound", "outbound", "both"] as const;
/** A mesh direction of a `service` resource entry. */
export type Direction = (typeof DIRECTIONS)[number];

const port = () => z.int().min(1, "must be >= 1").max(65535, "must be <= 65535");

/** One port the workload serves. */
export const ServicePortSchema = z.strictObject({
  port: port().describe("Port the Service exposes."),
  targetPort: port().optional()
    .describe("Port the container listens on; the Service port when omitted."),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP").describe("TCP (default), UDP or SCTP."),
}).describe("A port of the service.");

/** A file Score mounts into a container (inline content only: there is no local disk). */
export const FileSchema = z.strictObject({
  target: z.string().regex(/^\/[^\0]*[^/]$/, "must be an absolute file path")
    .max(1024).describe("Absolute path of the file in the container."),
  mode: z.string().regex(/^0?[0-7]{3}$/, 'must be an octal mode like "0644"').optional()
    .describe("File mode in octal, e.g. 0644."),
  content: z.string().max(262144).describe("Content of the file."),
  noExpand: z.boolean().optional().describe("Do not expand ${...} placeholders in content."),
}).describe("A file mounted into the container.");

const ProbeSchema = z.strictObject({
  httpGet: z.strictObject({
    path: z.string().min(1).describe("HTTP path to GET."),
    port: port().describe("Container port to call."),
  }).describe("An HTTP GET probe."),
}).describe("A container probe (Score's httpGet).");

/** One container of the workload. */
export const ContainerSchema = z.strictObject({
  image: z.string().min(1).max(1024).describe("Container image, e.g. nginx:alpine."),
  command: z.array(z.string()).max(256).optional().describe("Overrides the image entrypoint."),
  args: z.array(z.string()).max(256).optional().describe("Arguments to the entrypoint."),
  variables: z.record(z.string(), z.string()).optional()
    .describe("Environment variables; ${metadata.name} and ${resources.KEY.host|port} expand."),
  files: z.array(FileSchema).max(64).optional().describe("Files mounted into the container."),
  resources: ResourceRequirementsSchema.optional(),
  livenessProbe: ProbeSchema.optional(),
  readinessProbe: ProbeSchema.optional(),
}).describe("A container of the workload.");

const serviceOnly = {
  rule: "self.type == 'service' ? has(self.direction) : " +
    "!has(self.direction) && !has(self.ports) && !has(self.environment)",
  message: "type service needs direction; direction, ports and environment are only for " +
    "type service",
};

/** A Score resource: a dependency. `type: service` entries make the mesh. */
export const ResourceEntrySchema = z.strictObject({
  type: z.string().min(1).max(63).describe("Resource type; `service` is another LatticeService."),
  class: z.string().max(63).optional().describe("Score resource class (not used by the mesh)."),
  id: z.string().max(63).optional().describe("Score resource id (not used by the mesh)."),
  params: z.record(z.string(), z.string()).optional()
    .describe("Score resource parameters (not used by the mesh)."),
  direction: z.enum(DIRECTIONS).optional().describe(
    "For type service: outbound = this service calls the peer; inbound = the peer may " +
      "call this service; both.",
  ),
  name: dnsLabel("The peer LatticeService's name; the entry's key when omitted.").optional(),
  namespace: dnsLabel("The peer's namespace; this service's namespace when omitted.")
    .optional(),
  ports: z.array(dnsLabel("A port name of the callee's service.ports.")).min(1).max(64)
    .optional().describe(
      "Restricts the pair to these ports of the callee (inbound: this service's ports; " +
        "outbound: the peer's). All the callee's ports when omitted.",
    ),
  environment: dnsLabel(
    "The peer's LatticeEnvironment, required (on both sides) when the peer's namespace " +
      "belongs to another environment than this service's.",
  ).optional(),
}).superRefine((entry, ctx) => {
  if (entry.type === "service" && entry.direction === undefined) {
    ctx.addIssue({ code: "custom", path: ["direction"], message: "type service needs direction" });
  }
  if (entry.type !== "service") {
    for (const field of ["direction", "ports", "environment"] as const) {
      if (entry[field] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `${field} is only for type service`,
        });
      }
    }
  }
}).meta({ "x-kubernetes-validations": [serviceOnly] })
  .describe("A Score resource (dependency).");

const keysRule = (what: string) => ({
  rule: `self.all(k, k.size() <= 63 && k.matches('${RESOURCE_KEY}'))`,
  message: `${what} keys must be DNS-1123 labels`,
});

function labelKeys<T extends z.ZodType>(value: T, what: string, max: number) {
  return z.record(z.string(), value).superRefine((map, ctx) => {
    for (const key of Object.keys(map)) {
      if (key.length > 63 || !new RegExp(RESOURCE_KEY).test(key)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `${what} keys must be DNS-1123 labels`,
        });
      }
    }
    if (Object.keys(map).length > max) {
      ctx.addIssue({ code: "custom", message: `must have at most ${max} entries` });
    }
  }).meta({ maxProperties: max, "x-kubernetes-validations": [keysRule(what)] });
}

const canaryRule = {
  rule: "self.strategy != 'canary' || has(self.canary)",
  message: "strategy canary needs canary (weight and images)",
};

/** How new versions roll out. */
export const DeploySchema = z.strictObject({
  strategy: z.enum(["rolling", "canary"]).default("rolling")
    .describe("rolling (default): one Deployment; canary: a second Deployment taking a weight."),
  canary: z.strictObject({
    weight: z.int().min(0, "must be >= 0").max(100, "must be <= 100")
      .describe("Percent of requests routed to the canary."),
    replicas: z.int().min(1, "must be >= 1").max(1000, "must be <= 1000").default(1)
      .describe("Replicas of the canary Deployment."),
    containers: z.record(z.string(), z.strictObject({ image: z.string().min(1).max(1024) }))
      .describe("The canary's image for each container (others keep the stable image)."),
  }).optional().describe("The canary, for strategy canary."),
}).superRefine((deploy, ctx) => {
  if (deploy.strategy === "canary" && !deploy.canary) {
    ctx.addIssue({ code: "custom", path: ["canary"], message: canaryRule.message });
  }
}).meta({ "x-kubernetes-validations": [canaryRule] }).describe("Deployment strategy.");

const replicasRule = {
  rule: "!has(self.max) || self.max >= self.min",
  message: "max must be >= min",
};

/**
 * Two `service` entries that name the same peer (same `namespace` field, same name) with
 * overlapping directions are refused: which one's ports or environment counts would be a
 * guess.
 */
function duplicatePeers(resources: Record<string, ResourceEntry>, ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  for (const [key, entry] of Object.entries(resources)) {
    if (entry.type !== "service" || !entry.direction) continue;
    const dirs = entry.direction === "both" ? ["inbound", "outbound"] : [entry.direction];
    for (const dir of dirs) {
      const id = `${entry.namespace ?? ""}/${entry.name ?? key} ${dir}`;
      const first = seen.get(id);
      if (first !== undefined && first !== key) {
        ctx.addIssue({
          code: "custom",
          path: ["resources", key],
          message: `names the same service as resources.${first} (${dir}); declare each ` +
            "dependency once",
        });
        break;
      }
      seen.set(id, key);
    }
  }
}

/** LatticeService `spec`. */
export const LatticeServiceSpecSchema = z.strictObject({
  containers: labelKeys(ContainerSchema, "containers", 32)
    .refine((c) => Object.keys(c).length > 0, "must have at least one container")
    .meta({ minProperties: 1 }).describe("Containers by name."),
  service: z.strictObject({
    ports: labelKeys(ServicePortSchema, "service.ports", 64).describe("Ports by name."),
  }).optional().describe("How the workload is reached: its ports."),
  replicas: z.strictObject({
    min: z.int().min(0, "must be >= 0").max(10000, "must be <= 10000").default(1)
      .describe("Replicas (the Deployment's count)."),
    max: z.int().min(0).max(10000).optional()
      .describe("Upper bound for autoscaling; a HorizontalPodAutoscaler when > min."),
  }).superRefine((r, ctx) => {
    if (r.max !== undefined && r.max < r.min) {
      ctx.addIssue({ code: "custom", path: ["max"], message: replicasRule.message });
    }
  }).meta({ "x-kubernetes-validations": [replicasRule] }).optional()
    .describe("Replica bounds."),
  resources: labelKeys(ResourceEntrySchema, "resources", 256).optional()
    .describe("Dependencies, Score style; type service entries form the mesh."),
  deploy: DeploySchema.optional(),
}).superRefine((spec, ctx) => {
  // A Kubernetes Service refuses two ports with one number and protocol.
  const byNumber = new Map<string, string>();
  for (const [name, p] of Object.entries(spec.service?.ports ?? {})) {
    const id = `${p.port}/${p.protocol ?? "TCP"}`;
    const first = byNumber.get(id);
    if (first !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["service", "ports", name, "port"],
        message: `${id} is already service.ports.${first}`,
      });
    } else byNumber.set(id, name);
  }
  duplicatePeers(spec.resources ?? {}, ctx);
  const ports = new Set(Object.keys(spec.service?.ports ?? {}));
  for (const [key, entry] of Object.entries(spec.resources ?? {})) {
    if (entry.direction !== "inbound") continue;
    for (const [i, name] of (entry.ports ?? []).entries()) {
      if (!ports.has(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["resources", key, "ports", i],
          message: `names no port of service.ports (have: ${[...ports].join(", ") || "none"})`,
        });
      }
    }
  }
  for (const name of Object.keys(spec.deploy?.canary?.containers ?? {})) {
    if (!(name in spec.containers)) {
      ctx.addIssue({
        code: "custom",
        path: ["deploy", "canary", "containers", name],
        message: "names no container of spec.containers",
      });
    }
  }
}).describe("A Score-compatible workload with its mesh dependencies.");

/** A dependency as status reports it. */
export const DependencyStatusSchema = z.strictObject({
  service: z.string().describe("The peer as namespace/name."),
  direction: z.enum(["inbound", "outbound"]).describe("inbound: the peer calls this service."),
  ports: z.array(z.int()).optional().describe("Allowed ports of the callee (agreed only)."),
  missing: z.string().optional().describe("What the other side must declare (pending only)."),
}).describe("One direction of one dependency.");

/** LatticeService `status`. */
export const LatticeServiceStatusSchema = z.strictObject({
  observedGeneration: z.int().min(0).optional()
    .describe("The .metadata.generation this status was computed from."),
  phase: z.enum(["Pending", "Progressing", "Ready", "Failed"]).optional()
    .describe("Pending, Progressing, Ready or Failed."),
  conditions: z.array(ConditionSchema).optional()
    .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
    .describe("Ready, DependenciesAgreed, MeshPolicies."),
  replicas: z.strictObject({
    desired: z.int().min(0).describe("Replicas wanted (stable + canary)."),
    ready: z.int().min(0).describe("Replicas ready (stable + canary)."),
    summary: z.string().optional().describe("ready/desired, for the printer column."),
  }).optional().describe("Replica counts of the service's Deployments."),
  strategy: z.string().optional().describe("The strategy in effect."),
  agreed: z.array(DependencyStatusSchema).optional().describe("Agreed dependencies."),
  pending: z.array(DependencyStatusSchema).optional()
    .describe("One-sided dependencies: declared here, not (yet) by the peer."),
  agreedCount: z.int().min(0).optional().describe("Number of agreed dependencies."),
  pendingCount: z.int().min(0).optional().describe("Number of pending dependencies."),
  policies: z.int().min(0).optional().describe("Mesh policy objects this service owns."),
  generated: z.array(z.string().max(320)).max(64).optional()
    .describe("Workload objects generated (Kind/name), so ones no longer wanted are pruned."),
}).describe("Observed state of the service.");

/**
 * DNS-1035 label: a LatticeService's name is also its Service's, which must start with a
 * letter.
 */
export const DNS1035_LABEL = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

/** A LatticeService's metadata: its name is a DNS-1035 label (it names a Service). */
export const ServiceMetaSchema = ObjectMetaSchema.extend({
  name: z.string().max(63, "must be no more than 63 characters").regex(
    new RegExp(DNS1035_LABEL),
    "must be a DNS-1035 label (it names a Service): a-z, 0-9 and '-', starting with a " +
      "letter, ending with a letter or digit",
  ).describe("Name of the service, a DNS-1035 label."),
});

/** A whole LatticeService document. */
export const LatticeServiceSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION).describe(`Always ${API_VERSION}.`),
  kind: z.literal("LatticeService").describe("Always LatticeService."),
  metadata: ServiceMetaSchema,
  spec: LatticeServiceSpecSchema,
  status: LatticeServiceStatusSchema.optional(),
}).describe("A workload with the bilateral service mesh.");

/** LatticeService as written by people. */
export type LatticeServiceInput = z.input<typeof LatticeServiceSchema>;
/** LatticeService after validation, defaults applied. */
export type LatticeService = z.output<typeof LatticeServiceSchema>;
/** LatticeService spec after validation. */
export type LatticeServiceSpec = z.output<typeof LatticeServiceSpecSchema>;
/** LatticeService status. */
export type LatticeServiceStatus = z.output<typeof LatticeServiceStatusSchema>;
/** One Score resource entry after validation. */
export type ResourceEntry = z.output<typeof ResourceEntrySchema>;
/** A dependency in status. */
export type DependencyStatus = z.output<typeof DependencyStatusSchema>;
