/**
 * LatticeRepoConfig (lattice.dev/v1alpha1, cluster-scoped): the repository-wide settings
 * in `.lattice/config.yaml` of the cluster repository — git, Flux, provider defaults.
 */
import { z } from "zod";
import { API_VERSION } from "./lattice_cluster.ts";
import { ObjectMetaSchema } from "./metadata.ts";
import { duration, fluxVersion, k8sVersion } from "./validators.ts";

/** LatticeRepoConfig `spec`. */
export const LatticeRepoConfigSpecSchema = z.strictObject({
  git: z.strictObject({
    defaultBranch: z.string().min(1).default("main").describe("Branch clusters follow."),
    requirePR: z.boolean().optional().describe("Whether changes must go through a PR."),
    credentialsSecret: z.string().min(1).optional()
      .describe("Secret holding the deploy key or token for private repositories."),
  }).optional().describe("Git settings of the repository."),
  flux: z.strictObject({
    version: fluxVersion("Flux version of every cluster, a 2.x release, e.g. 2.2.0.").optional(),
    interval: duration("Sync interval, e.g. 1m.").optional(),
  }).optional().describe("Flux settings inherited by every cluster."),
  defaults: z.strictObject({
    provider: z.strictObject({
      kubernetes: z.strictObject({
        version: k8sVersion("Kubernetes version of new clusters, e.g. 1.31.0.").optional(),
        bootstrap: z.enum(["kubeadm", "rke2"]).optional()
          .describe("Bootstrap of new clusters: kubeadm or rke2."),
      }).optional().describe("Kubernetes defaults."),
    }).optional().describe("Provider defaults."),
  }).optional().describe("Defaults the CLI applies to new clusters."),
}).describe("Repository-wide settings.");

/** A whole LatticeRepoConfig document. */
export const LatticeRepoConfigSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION).describe(`Always ${API_VERSION}.`),
  kind: z.literal("LatticeRepoConfig").describe("Always LatticeRepoConfig."),
  metadata: ObjectMetaSchema,
  spec: LatticeRepoConfigSpecSchema,
}).describe("Settings of a Lattice cluster repository.");

/** LatticeRepoConfig as written by people. */
export type LatticeRepoConfigInput = z.input<typeof LatticeRepoConfigSchema>;
/** LatticeRepoConfig after validation. */
export type LatticeRepoConfig = z.output<typeof LatticeRepoConfigSchema>;
