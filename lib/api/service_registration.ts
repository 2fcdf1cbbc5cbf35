/**
 * LatticeServiceRegistration (lattice.dev/v1alpha1, cluster-scoped): one entry of the
 * service catalog, kept in a `registrations/` folder of the cluster repository. Placements
 * on a cluster resolve registrations from that cluster and its ancestors.
 */
import { z } from "zod";
import { API_VERSION } from "./lattice_cluster.ts";
import { ObjectMetaSchema } from "./metadata.ts";
import { EnvSchema, GitSourceSchema, replicas, ResourceRequirementsSchema } from "./workload.ts";

/** LatticeServiceRegistration `spec`. */
export const LatticeServiceRegistrationSpecSchema = z.strictObject({
  source: z.strictObject({
    git: GitSourceSchema,
  }).describe("Where the service's manifests come from."),
  defaults: z.strictObject({
    replicas: replicas("Replicas when a placement does not say.").optional(),
    resources: ResourceRequirementsSchema.optional(),
    env: EnvSchema.optional(),
  }).optional().describe("Settings every placement starts from."),
}).describe("A service in the catalog.");

/** A whole LatticeServiceRegistration document. */
export const LatticeServiceRegistrationSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION).describe(`Always ${API_VERSION}.`),
  kind: z.literal("LatticeServiceRegistration").describe("Always LatticeServiceRegistration."),
  metadata: ObjectMetaSchema,
  spec: LatticeServiceRegistrationSpecSchema,
}).describe("A service in the catalog.");

/** LatticeServiceRegistration as written by people. */
export type LatticeServiceRegistrationInput = z.input<typeof LatticeServiceRegistrationSchema>;
/** LatticeServiceRegistration after validation. */
export type LatticeServiceRegistration = z.output<typeof LatticeServiceRegistrationSchema>;
