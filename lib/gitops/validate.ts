/**
 * `lattice validate`: every file on its own, then the checks across files — placements
 * resolve to registrations, no circular parents, kustomizations list what exists.
 */
import { cellRefLoopProblem } from "../api/mod.ts";
import { abs, exists } from "./fs.ts";
import { lineage } from "./hierarchy.ts";
import { fieldIssue, type ValidationIssue } from "./issues.ts";
import { readResources } from "./kustomization.ts";
import {
  CHILDREN_DIR,
  CLUSTER_FILE,
  CLUSTER_SUBDIRS,
  displayDir,
  joinPath,
  KUSTOMIZATION_FILE,
  PLACEMENTS_DIR,
  REGISTRATIONS_DIR,
} from "./layout.ts";
import { kustomizationText, type LoadedCluster, type Repo, resourceName } from "./repo.ts";
import { clusterFileIssues, configFileIssues, serviceFileIssues } from "./validate_files.ts";
import { lineAt } from "./yaml_doc.ts";
import { isServiceFile, meshIssues, serviceDefinitionIssues } from "./validate_mesh.ts";

/** One file and its own issues. */
export interface FileReport {
  path: string;
  kind: "cluster" | "registration" | "placement" | "service" | "config";
  issues: ValidationIssue[];
}

/** A check across files, with the line `validate` prints when it passes. */
export interface CheckReport {
  id: "placements" | "cycles" | "kustomizations" | "mesh";
  title: string;
  issues: ValidationIssue[];
}

/** Everything `validate` found. */
export interface ValidationReport {
  files: FileReport[];
  checks: CheckReport[];
  /** Number of issues in files and checks. */
  errorCount: number;
}

/** Options of {@linkcode validateRepo}. */
export interface ValidateRepoOptions {
  /** Committed (HEAD) documents of changed cluster files, by path (see committed.ts). */
  committed?: ReadonlyMap<string, unknown>;
}

/** Validates a loaded repository. */
export function validateRepo(repo: Repo, options: ValidateRepoOptions = {}): ValidationReport {
  const files: FileReport[] = [];
  for (const c of repo.clusters) {
    if (c.file) {
      const previous = options.committed?.get(c.file.path);
      files.push({
        path: c.file.path,
        kind: "cluster",
        issues: clusterFileIssues(repo, c, previous),
      });
    }
  }
  for (const c of repo.clusters) {
    for (const f of c.registrations) {
      files.push({
        path: f.path,
        kind: "registration",
        issues: serviceFileIssues(f, "registration"),
      });
    }
  }
  for (const c of repo.clusters) {
    for (const f of c.placements) {
      files.push(
        isServiceFile(f)
          ? { path: f.path, kind: "service", issues: serviceDefinitionIssues(f) }
          : { path: f.path, kind: "placement", issues: serviceFileIssues(f, "placement") },
      );
    }
  }
  if (repo.config) {
    files.push({ path: repo.config.path, kind: "config", issues: configFileIssues(repo.config) });
  }
  const checks: CheckReport[] = [
    {
      id: "placements",
      title: "All placements reference valid registrations",
      issues: placementIssues(repo),
    },
    { id: "cycles", title: "No circular parent references", issues: cycleIssues(repo) },
    {
      id: "kustomizations",
      title: "All kustomization.yaml files are consistent",
      issues: kustomizationIssues(repo),
    },
  ];
  // Shown only for repositories that hold LatticeServices, so the spec's transcript of a
  // repository without any stays as it is.
  if (repo.clusters.some((c) => c.placements.some(isServiceFile))) {
    checks.push({
      id: "mesh",
      title: "All service dependencies are agreed by both sides",
      issues: meshIssues(repo),
    });
  }
  const errorCount = files.reduce((n, f) => n + f.issues.length, 0) +
    checks.reduce((n, c) => n + c.issues.length, 0);
  return { files, checks, errorCount };
}

function placementIssues(repo: Repo): ValidationIssue[] {
  const byNode = new Map(repo.clusters.map((c) => [c.node, c]));
  const issues: ValidationIssue[] = [];
  for (const c of repo.clusters) {
    if (c.placements.length === 0) continue;
    const scopes = lineage(c.node).map((n) => byNode.get(n)!);
    const visible = new Set(
      scopes.flatMap((s) => s.registrations.map((r) => resourceName(r.path))),
    );
    for (const p of c.placements) {
      const ref = (p.value as { spec?: { serviceRef?: unknown } } | null)?.spec?.serviceRef;
      if (typeof ref !== "string" || visible.has(ref)) continue;
      issues.push(
        fieldIssue(p, {
          path: ["spec", "serviceRef"],
          message: `service '${ref}' is not registered for cluster ${c.node.name} (looked in ` +
            `registrations of ${scopes.map((s) => s.node.name).join(", ")})`,
          kind: "placement",
        }),
      );
    }
  }
  return issues;
}

function cycleIssues(repo: Repo): ValidationIssue[] {
  const refOf = new Map<string, { ref: string; cluster: LoadedCluster }>();
  for (const c of repo.clusters) {
    const ref = (c.file?.value as { spec?: { cellRef?: unknown } } | null)?.spec?.cellRef;
    if (typeof ref === "string" && !refOf.has(c.node.name)) {
      refOf.set(c.node.name, { ref, cluster: c });
    }
  }
  const issues: ValidationIssue[] = [];
  const done = new Set<string>();
  for (const start of refOf.keys()) {
    const path: string[] = [];
    let name: string | undefined = start;
    while (name !== undefined && !done.has(name) && !path.includes(name)) {
      path.push(name);
      name = refOf.get(name)?.ref;
    }
    if (name !== undefined && path.includes(name)) {
      const cycle = [...path.slice(path.indexOf(name)), name];
      const first = refOf.get(name)!.cluster.file!;
      issues.push(
        fieldIssue(first, {
          path: ["spec", "cellRef"],
          message: cellRefLoopProblem(cycle).message,
          kind: "cycle",
        }),
      );
    }
    for (const n of path) done.add(n);
  }
  return issues;
}

function kustomizationIssues(repo: Repo): ValidationIssue[] {
  const root = repo.hierarchy.root;
  const issues: ValidationIssue[] = [];
  for (const c of repo.clusters) {
    const node = c.node;
    if (!node.hasClusterFile) {
      issues.push({
        file: displayDir(node.dir),
        message: `has no ${CLUSTER_FILE}; every folder under ${CHILDREN_DIR}/ is a cluster`,
        kind: "kustomization",
      });
      continue;
    }
    const folders: [string, string[]][] = [
      [node.dir, CLUSTER_SUBDIRS.filter((d) => node.subdirs.has(d))],
    ];
    if (node.subdirs.has(REGISTRATIONS_DIR)) {
      folders.push([joinPath(node.dir, REGISTRATIONS_DIR), c.registrations.map(baseName)]);
    }
    if (node.subdirs.has(PLACEMENTS_DIR)) {
      folders.push([joinPath(node.dir, PLACEMENTS_DIR), c.placements.map(baseName)]);
    }
    if (node.subdirs.has(CHILDREN_DIR)) {
      folders.push([
        joinPath(node.dir, CHILDREN_DIR),
        node.children.filter((k) => k.hasClusterFile).map((k) => `${k.name}/${CLUSTER_FILE}`),
      ]);
    }
    for (const [dir, expected] of folders) {
      issues.push(...folderIssues(root, dir, expected, kustomizationText(repo, dir)));
    }
  }
  return issues;
}

/** Every expected entry must be listed; every listed entry must exist. */
function folderIssues(
  root: string,
  dir: string,
  expected: string[],
  text: string | undefined,
): ValidationIssue[] {
  const file = joinPath(dir, KUSTOMIZATION_FILE);
  if (text === undefined) {
    return [{
      file,
      message: `is missing (it must list: ${expected.join(", ") || "nothing yet"})`,
      kind: "kustomization",
    }];
  }
  const { resources, lines, error } = readResources(text);
  if (error) return [{ file, line: error.line, message: error.message, kind: "kustomization" }];
  const issues: ValidationIssue[] = [];
  const keyLine = lineAt(text, Math.max(0, text.search(/^resources:/m)));
  for (const entry of expected) {
    if (!resources.includes(entry)) {
      issues.push({
        file,
        line: keyLine,
        field: "resources",
        message: `does not list '${entry}', which exists`,
        kind: "kustomization",
      });
    }
  }
  resources.forEach((entry, i) => {
    if (!expected.includes(entry) && !exists(abs(root, joinPath(dir, entry)))) {
      issues.push({
        file,
        line: lines[i],
        field: `resources[${i}]`,
        message: `lists '${entry}', which does not exist`,
        kind: "kustomization",
      });
    }
  });
  return issues;
}

function baseName(file: { path: string }): string {
  return file.path.slice(file.path.lastIndexOf("/") + 1);
}
