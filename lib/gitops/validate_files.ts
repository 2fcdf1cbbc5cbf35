/**
 * Per-file validation: syntax, schema, names matching folders and files, parents,
 * supported Kubernetes and Flux versions. Every issue names file, line and field.
 */
import {
  clusterProblems,
  isCellSpec,
  LatticeRepoConfigSchema,
  LatticeServicePlacementSchema,
  LatticeServiceRegistrationSchema,
  problemPath,
  PROVIDERS,
  type SpecProblem,
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

type Doc = { metadata?: { name?: unknown }; spec?: Record<string, unknown> };

type CommittedSpec = {
  provider?: { kubernetes?: { version?: unknown }; config?: Record<string, unknown> };
};

/** Kind of issue for a shared problem, so `validate PATH` groups it under its check. */
function issueKind(problem: SpecProblem): IssueKind {
  const field = problem.field ?? "";
  if (["MissingCellRef", "UnknownCellRef", "SelfCellRef"].includes(problem.reason)) {
    return "parent";
  }
  if (problem.reason === "CellRefLoop") return "cycle";
  if (field.startsWith("spec.provider.config")) return "provider";
  if (field === "spec.provider.kubernetes.version") return "k8s";
  if (field === "spec.flux.version") return "flux";
  return "schema";
}

/**
 * Issues of a cluster.yaml: the operator's own validation ({@linkcode clusterProblems},
 * with the repository as context: cluster names, the folder's parent), then what only
 * the repository layout can say (folder names, unique names, parents of children).
 * `committed` is the file's document at git HEAD, when it changed since.
 * Loops of cellRefs are reported once, by the cycle check of validate.ts.
 */
export function clusterFileIssues(
  repo: Repo,
  cluster: LoadedCluster,
  committed?: unknown,
): ValidationIssue[] {
  const file = cluster.file!;
  const syntax = file.simple ? [] : syntaxIssues(file);
  if (syntax.length > 0) return syntax;
  const doc = (file.value ?? {}) as Doc;
  const spec = (doc.spec ?? {}) as { cellRef?: unknown; cell?: unknown };
  const node = cluster.node;
  const parent = node.parent;
  const before = (committed as { spec?: CommittedSpec } | undefined)?.spec;
  const version = before?.provider?.kubernetes?.version;
  const config = before?.provider?.config ?? {};
  const provider = PROVIDERS.find((p) => config[p] !== undefined);
  const problems = clusterProblems(file.value, {
    clusterExists: parent ? (name) => repo.hierarchy.byName.has(name) : undefined,
    expectedParent: parent?.name,
    // The committed spec is what Flux applies: its version runs, its fixed fields stay.
    running: before && {
      kubernetesVersion: typeof version === "string" ? version : undefined,
      provider,
    },
    previous: before,
  });
  const issues = problems.map((p) =>
    fieldIssue(file, { path: problemPath(p), message: p.message, kind: issueKind(p) })
  );
  if (parent && typeof doc.metadata?.name === "string" && doc.metadata.name !== node.name) {
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
  issues.push(...folderParentIssues(repo, cluster, spec.cellRef));
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
  return issues;
}

/** What the folder says about the parent: the root has none, a child names its folder's. */
function folderParentIssues(
  repo: Repo,
  cluster: LoadedCluster,
  cellRef: unknown,
): ValidationIssue[] {
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
  if (
    typeof cellRef !== "string" || cellRef === parent.name ||
    cellRef === cluster.node.name || !repo.hierarchy.byName.has(cellRef)
  ) return []; // missing, self and unknown parents are clusterProblems' to report
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
  const { issues } = schemaIssues(file, {
    schema: LatticeRepoConfigSchema,
    value: file.value,
    kindOf: (field) => field === "spec.flux.version" ? "flux" : "schema",
  });
  return issues;
}
