/**
 * Per-file validation: syntax, schema, names matching folders and files, parents,
 * supported Kubernetes and Flux versions. Every issue names file, line and field.
 */
import {
  isCellSpec,
  LatticeClusterSchema,
  LatticeRepoConfigSchema,
  LatticeServicePlacementSchema,
  LatticeServiceRegistrationSchema,
} from "../api/mod.ts";
import type { z } from "zod";
import {
  fieldIssue,
  type IssueKind,
  schemaIssues,
  syntaxIssues,
  type ValidationIssue,
} from "./issues.ts";
import type { LoadedCluster, LoadedFile, Repo } from "./repo.ts";
import { resourceName } from "./repo.ts";
import { fluxVersionProblem, k8sVersionProblem } from "./versions.ts";

type Doc = { metadata?: { name?: unknown }; spec?: Record<string, unknown> };

const providerKind = (field: string): IssueKind =>
  field.startsWith("spec.provider.config") ? "provider" : "schema";

/** Issues of a cluster.yaml. */
export function clusterFileIssues(repo: Repo, cluster: LoadedCluster): ValidationIssue[] {
  const file = cluster.file!;
  const syntax = file.simple ? [] : syntaxIssues(file);
  if (syntax.length > 0) return syntax;
  const { issues } = schemaIssues(file, {
    schema: LatticeClusterSchema,
    value: file.value,
    ...{
      kindOf: providerKind,
    },
  });
  const doc = (file.value ?? {}) as Doc;
  const spec = (doc.spec ?? {}) as {
    cellRef?: unknown;
    cell?: unknown;
    provider?: { kubernetes?: { version?: unknown } };
    flux?: { version?: unknown };
  };
  const node = cluster.node;
  if (node.parent && typeof doc.metadata?.name === "string" && doc.metadata.name !== node.name) {
    issues.push(
      fieldIssue(file, {
        path: ["metadata", "name"],
        message:
          `is '${doc.metadata.name}' but the cluster's folder is '${node.name}'; they must match`,
        kind: "schema",
      }),
    );
  }
  const same = repo.hierarchy.byName.get(node.name) ?? [];
  if (same.length > 1 && same[0] !== node) {
    issues.push(
      fieldIssue(file, {
        path: ["metadata", "name"],
        message: `cluster '${node.name}' is already defined in ${same[0].dir}/cluster.yaml; ` +
          "cluster names must be unique across the repository",
        kind: "schema",
      }),
    );
  }
  issues.push(...parentIssues(repo, cluster, spec.cellRef));
  if (node.children.length > 0 && !isCellSpec(spec)) {
    issues.push(
      fieldIssue(file, {
        path: ["spec"],
        message: `spec.cell is required: this cluster has children (${
          node.children.map((c) => c.name).join(", ")
        }) so it must be a cell`,
        kind: "parent",
      }),
    );
  }
  const version = spec.provider?.kubernetes?.version;
  if (typeof version === "string") {
    const problem = k8sVersionProblem(version);
    if (problem && !issues.some((i) => i.field === "spec.provider.kubernetes.version")) {
      issues.push(
        fieldIssue(file, {
          path: ["spec", "provider", "kubernetes", "version"],
          message: problem,
          kind: "k8s",
        }),
      );
    }
  }
  issues.push(...fluxIssues(file, ["spec", "flux", "version"], spec.flux?.version, issues));
  return issues;
}

function parentIssues(repo: Repo, cluster: LoadedCluster, cellRef: unknown): ValidationIssue[] {
  const file = cluster.file!;
  const parent = cluster.node.parent;
  const at = ["spec", "cellRef"];
  if (!parent) {
    return typeof cellRef === "string"
      ? [
        fieldIssue(file, {
          path: at,
          message: "the root cluster has no parent; remove spec.cellRef",
          kind: "parent",
        }),
      ]
      : [];
  }
  if (cellRef === undefined) {
    return [
      fieldIssue(file, {
        path: at,
        message: `is missing; it must name the parent cell '${parent.name}'`,
        kind: "parent",
      }),
    ];
  }
  if (typeof cellRef !== "string" || cellRef === parent.name) return [];
  if (!repo.hierarchy.byName.has(cellRef)) {
    return [
      fieldIssue(file, { path: at, message: `parent '${cellRef}' does not exist`, kind: "parent" }),
    ];
  }
  return [
    fieldIssue(file, {
      path: at,
      message:
        `is '${cellRef}' but the cluster's folder is under '${parent.name}'; move the folder ` +
        "or fix cellRef",
      kind: "parent",
    }),
  ];
}

function fluxIssues(
  file: LoadedFile,
  path: string[],
  version: unknown,
  already: ValidationIssue[],
): ValidationIssue[] {
  if (typeof version !== "string" || already.some((i) => i.field === path.join("."))) return [];
  const problem = fluxVersionProblem(version);
  return problem ? [fieldIssue(file, { path: path, message: problem, kind: "flux" })] : [];
}

/** Issues of a registration or placement file (the file name must be the resource name). */
export function serviceFileIssues(
  file: LoadedFile,
  kind: "registration" | "placement",
): ValidationIssue[] {
  const syntax = file.simple ? [] : syntaxIssues(file);
  if (syntax.length > 0) return syntax;
  const schema: z.ZodType = kind === "registration"
    ? LatticeServiceRegistrationSchema
    : LatticeServicePlacementSchema;
  const { issues } = schemaIssues(file, { schema: schema, value: file.value });
  const name = (file.value as Doc | null)?.metadata?.name;
  const expected = resourceName(file.path);
  if (typeof name === "string" && name !== expected) {
    issues.push(
      fieldIssue(file, {
        path: ["metadata", "name"],
        message: `is '${name}' but the file is ${expected}.yaml; they must match`,
        kind: "schema",
      }),
    );
  }
  return issues;
}

/** Issues of .lattice/config.yaml. */
export function configFileIssues(file: LoadedFile): ValidationIssue[] {
  const syntax = file.simple ? [] : syntaxIssues(file);
  if (syntax.length > 0) return syntax;
  const { issues } = schemaIssues(file, { schema: LatticeRepoConfigSchema, value: file.value });
  const version = ((file.value as Doc | null)?.spec?.flux as { version?: unknown } | undefined)
    ?.version;
  issues.push(...fluxIssues(file, ["spec", "flux", "version"], version, issues));
  return issues;
}
