/**
 * LatticeServicePlacement `status`: what the placement controller resolved and what Flux
 * applied (docs/placements.md).
 */
import { z } from "zod";
import { ConditionSchema } from "./condition.ts";

/** The git source a placement resolved to. */
export const ResolvedSourceSchema = z.strictObject({
  registration: z.string().describe("Name of the registration used."),
  definedOn: z.string()
    .describe("Cluster whose registrations/ folder defines it (this one or an ancestor)."),
  url: z.string().describe("Git URL of the service's manifests."),
  path: z.string().describe("Path of the manifests in the repository."),
  branch: z.string().optional().describe("Branch followed, when the source is a branch."),
  tag: z.string().optional().describe("Tag deployed, when the source is a tag."),
}).describe("The source the placement resolved to.");

/** LatticeServicePlacement `status`. */
export const LatticeServicePlacementStatusSchema = z.strictObject({
  observedGeneration: z.int().min(0).optional()
    .describe("The .metadata.generation this status was written for."),
  phase: z.enum(["Pending", "Ready", "Failed"]).optional()
    .describe("Pending until Flux applied the resolved revision, Ready, or Failed."),
  source: ResolvedSourceSchema.optional(),
  revision: z.string().optional()
    .describe("Revision Flux last applied on this cluster (e.g. v1.0.0@sha1:...)."),
  namespace: z.string().optional().describe("Namespace the service runs in."),
  conditions: z.array(ConditionSchema).optional()
    .describe("Ready (with the reason when not), SourceResolved."),
}).describe("What the placement resolved to and what runs.");

/** LatticeServicePlacement `status`. */
export type LatticeServicePlacementStatus = z.infer<typeof LatticeServicePlacementStatusSchema>;
/** The resolved source in a placement's status. */
export type ResolvedSource = z.infer<typeof ResolvedSourceSchema>;
