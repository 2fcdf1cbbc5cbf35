/**
 * LatticeServicePlacement (lattice.dev/v1alpha1, cluster-scoped): a registered service
 * placed on one cluster, kept in that cluster's `placements/` folder. It becomes a Flux
 * GitRepository + Kustomization with the overrides applied on that cluster.
 */
import { z } from "zod";
import { API_VERSION } from "./lattice_cluster.ts";
import { ObjectMetaSchema } from "./metadata.ts";
import { dnsLabel } from "./validators.ts";
import {
  EnvSchema,
  replicas,
  ResourceRequirementsSchema,
  SourceOverrideSchema,
} from "./workload.ts";

/** LatticeServicePlacement `spec`. */
export const LatticeServicePlacementSpecSchema = z.strictObject({
  serviceRef: dnsLabel(
    "Name of the registration, resolved from this cluster's registrations and then its ancestors'.",
  ),
  sourceOverride: SourceOverrideSchema.optional(),
  overrides: z.strictObject({
    replicas: replicas("Replicas on this cluster.").optional(),
    resources: ResourceRequirementsSchema.optional(),
    env: EnvSchema.optional(),
  }).optional().describe("Settings replacing the registration's defaults on this cluster."),
}).describe("A service placed on this cluster.");

/** A whole LatticeServicePlacement document. */
export const LatticeServicePlacementSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION).describe(`Always ${API_VERSION}.`),
  kind: z.literal("LatticeServicePlacement").describe("Always LatticeServicePlacement."),
  metadata: ObjectMetaSchema,
  spec: LatticeServicePlacementSpecSchema,
}).describe("A service placed on one cluster.");

/** LatticeServicePlacement as written by people. */
export type LatticeServicePlacementInput = z.input<typeof LatticeServicePlacementSchema>;
/** LatticeServicePlacement after validation. */
export type LatticeServicePlacement = z.output<typeof LatticeServicePlacementSchema>;
