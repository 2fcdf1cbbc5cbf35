/**
 * The part of Kubernetes ObjectMeta that Lattice documents carry and validate.
 */
import { z } from "zod";
import { dnsLabel } from "./validators.ts";

/** ObjectMeta for cluster-scoped Lattice resources: the name must be a DNS-1123 label. */
export const ObjectMetaSchema = z.looseObject({
  name: dnsLabel("Name of the object, a DNS-1123 label."),
  labels: z.record(z.string(), z.string()).optional().describe("Labels of the object."),
  annotations: z.record(z.string(), z.string()).optional()
    .describe("Annotations of the object."),
}).describe("Standard object metadata.");

/** Standard object metadata as Lattice validates it. */
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;
