/**
 * Turns a zod schema into an apiextensions.k8s.io/v1 CustomResourceDefinition.
 */
import { z } from "zod";
import type { CelValidation } from "./rules.ts";
import { type JsonSchema, structuralProblems, toStructural } from "./structural.ts";

/** A printer column of a CRD version. */
export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** Everything needed to describe one custom resource. */
export interface CrdDefinition {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
  scope: "Cluster" | "Namespaced";
  /** The zod schema of `spec`. */
  spec: z.ZodType;
  /** The zod schema of `status`; presence enables the status subresource. */
  status?: z.ZodType;
  printerColumns?: PrinterColumn[];
  /** Root-level CEL rules, e.g. on metadata.name, which the schema cannot reach. */
  validations?: CelValidation[];
  /** Description of the whole resource, for `kubectl explain`. */
  description: string;
}

/** A CustomResourceDefinition object. */
export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels?: Record<string, string> };
  spec: JsonSchema;
}

/** The OpenAPI v3 schema of one zod type, rewritten to be structural. */
export function openApiSchema(schema: z.ZodType): JsonSchema {
  const raw = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: "input",
    unrepresentable: "throw",
  }) as JsonSchema;
  return toStructural(raw);
}

/**
 * Builds the CRD. Throws when the schema is not structural, naming every offending field.
 */
export function crdFromDefinition(def: CrdDefinition): CustomResourceDefinition {
  const properties: JsonSchema = {
    apiVersion: { type: "string", description: "APIVersion of the object." },
    kind: { type: "string", description: "Kind of the object." },
    metadata: { type: "object" },
    spec: openApiSchema(def.spec),
  };
  if (def.status) properties.status = openApiSchema(def.status);
  const root: JsonSchema = {
    type: "object",
    description: def.description,
    properties,
    required: ["spec"],
  };
  if (def.validations?.length) root["x-kubernetes-validations"] = def.validations;
  const problems = structuralProblems(root);
  if (problems.length > 0) {
    throw new Error(
      `Cannot generate CRD ${def.kind}: schema is not structural:\n` +
        problems.join("\n"),
    );
  }
  const version: JsonSchema = {
    name: def.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: root },
  };
  if (def.status) version.subresources = { status: {} };
  if (def.printerColumns?.length) version.additionalPrinterColumns = def.printerColumns;
  const names: JsonSchema = {
    kind: def.kind,
    listKind: def.listKind ?? `${def.kind}List`,
    plural: def.plural,
    singular: def.singular,
  };
  if (def.shortNames?.length) names.shortNames = def.shortNames;
  if (def.categories?.length) names.categories = def.categories;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${def.plural}.${def.group}`,
      labels: { "app.kubernetes.io/part-of": "lattice" },
    },
    spec: { group: def.group, names, scope: def.scope, versions: [version] },
  };
}
