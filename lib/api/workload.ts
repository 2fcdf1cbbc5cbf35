/**
 * Building blocks shared by the service catalog resources (LatticeServiceRegistration and
 * LatticeServicePlacement): git sources, resource requirements, environment variables.
 */
import { z } from "zod";

/** A Kubernetes resource quantity, e.g. `500m`, `2`, `512Mi`, `1.5Gi`. */
export const QUANTITY =
  "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|[numkKMGTPE]|[KMGTPE]i)?$";

const quantityMessage = 'must be a quantity string like "500m", "2" or "512Mi" (quote numbers)';

/** A map of resource name to quantity, e.g. `{ cpu: "500m", memory: "512Mi" }`. */
export const ResourceListSchema = z.record(
  z.string(),
  z.string({ error: quantityMessage }).regex(new RegExp(QUANTITY), quantityMessage),
).describe("Resource quantities by resource name (cpu, memory, ...).");

/** Requests and limits of a workload. */
export const ResourceRequirementsSchema = z.strictObject({
  requests: ResourceListSchema.optional().describe("Resources guaranteed to the workload."),
  limits: ResourceListSchema.optional().describe("Resources the workload may not exceed."),
}).describe("Compute resources of the workload.");

/** Environment variables by name. */
export const EnvSchema = z.record(z.string(), z.string())
  .describe("Environment variables by name.");

/** `branch` and `tag` are alternatives: a CEL rule the apiserver checks and zod mirrors. */
const oneRef = (required: boolean) => ({
  rule: required ? "has(self.branch) != has(self.tag)" : "!(has(self.branch) && has(self.tag))",
  message: required ? "must set exactly one of branch or tag" : "must not set both branch and tag",
});

/** Where a service's manifests live: a git repository, a path in it and a branch or tag. */
export const GitSourceSchema = z.strictObject({
  url: z.string().regex(
    /^(https?:\/\/|ssh:\/\/|git@)[^\s]+$/,
    "must be a git URL (https://, ssh:// or git@host:path)",
  ).describe("URL of the git repository holding the service's manifests."),
  path: z.string().min(1).default("./")
    .describe("Path of the manifests (a kustomization) inside the repository."),
  branch: z.string().min(1).optional().describe("Branch to follow."),
  tag: z.string().min(1).optional().describe("Tag to deploy."),
}).superRefine((git, ctx) => {
  if ((git.branch === undefined) === (git.tag === undefined)) {
    ctx.addIssue({ code: "custom", message: oneRef(true).message });
  }
}).meta({ "x-kubernetes-validations": [oneRef(true)] })
  .describe("A git repository, path and branch or tag.");

/** A placement's replacement for the registration's branch or tag. */
export const SourceOverrideSchema = z.strictObject({
  branch: z.string().min(1).optional().describe("Branch to follow instead."),
  tag: z.string().min(1).optional().describe("Tag to deploy instead."),
}).superRefine((ref, ctx) => {
  if (ref.branch !== undefined && ref.tag !== undefined) {
    ctx.addIssue({ code: "custom", message: oneRef(false).message });
  }
}).meta({ "x-kubernetes-validations": [oneRef(false)] })
  .describe("Overrides the registration's branch or tag on this cluster.");

/** Replica count of a workload. */
export function replicas(description: string): z.ZodInt {
  return z.int().min(0, "must be >= 0").max(10000, "must be <= 10000").describe(description);
}
