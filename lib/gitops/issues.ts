/**
 * Validation issues and how they read: `file:line: field: message`.
 */
import type { z } from "zod";
import { formatPath } from "../api/mod.ts";
import { lineAt, lineOfPath, type YamlFile } from "./yaml_doc.ts";

/** What an issue is about; `lattice validate PATH` groups a file's issues by it. */
export type IssueKind =
  | "syntax"
  | "schema"
  | "provider"
  | "parent"
  | "k8s"
  | "flux"
  | "placement"
  | "cycle"
  | "kustomization"
  | "mesh";

/** One problem found by validation. */
export interface ValidationIssue {
  /** Repo-relative file (or folder ending in `/`). */
  file: string;
  /** 1-based line, when the problem is at a place in the file. */
  line?: number;
  /** The field, Kubernetes style: `spec.nodes.workers`. */
  field?: string;
  message: string;
  kind: IssueKind;
}

/** Renders an issue the way `validate` prints it. */
export function formatIssue(issue: ValidationIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Issues for a file's YAML syntax errors (empty when it parses). */
export function syntaxIssues(file: YamlFile): ValidationIssue[] {
  return file.doc.errors.map((e) => ({
    file: file.path,
    line: lineAt(file.text, e.pos[0]),
    message: `invalid YAML: ${e.message.split("\n")[0]}`,
    kind: "syntax" as const,
  }));
}

/** What {@linkcode schemaIssues} checks. */
export interface SchemaCheck {
  schema: z.ZodType;
  /** The file's plain value. */
  value: unknown;
  /** Kind to give issues under a path prefix, e.g. spec.provider.config → provider. */
  kindOf?(field: string): IssueKind;
}

/** Issues from a zod parse of a file's value, each pointing at its field's line. */
export function schemaIssues(
  file: YamlFile,
  check: SchemaCheck,
): { issues: ValidationIssue[]; ok: boolean } {
  const result = check.schema.safeParse(check.value);
  if (result.success) return { issues: [], ok: true };
  const issues = result.error.issues.map((issue) => {
    const field = formatPath(issue.path);
    return {
      file: file.path,
      line: lineOfPath(file, issue.path),
      field: field === "" ? undefined : field,
      message: issue.message,
      kind: check.kindOf?.(field) ?? "schema",
    };
  });
  return { issues, ok: false };
}

/** Where and what an issue at a field is. */
export interface FieldProblem {
  path: (string | number)[];
  message: string;
  kind: IssueKind;
}

/** An issue at a field of a file. */
export function fieldIssue(file: YamlFile, problem: FieldProblem): ValidationIssue {
  const { path, message, kind } = problem;
  return { file: file.path, line: lineOfPath(file, path), field: formatPath(path), message, kind };
}
