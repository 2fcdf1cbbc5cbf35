/**
 * Editing helpers shared by the cluster, service and flux commands: kustomization
 * upkeep, reading a document to edit, validating what is about to be written.
 */
import type { z } from "zod";
import { formatIssues } from "../api/mod.ts";
import type { Changeset } from "./changes.ts";
import { RepoError } from "./errors.ts";
import { abs, readTextOrUndefined } from "./fs.ts";
import { editResources, renderKustomization } from "./kustomization.ts";
import { CLUSTER_SUBDIRS, joinPath, KUSTOMIZATION_FILE } from "./layout.ts";
import { parseYamlFile, syntaxProblem, type YamlFile } from "./yaml_doc.ts";

/** Entries to add to and remove from `dir/kustomization.yaml`. */
export interface KustomizationEdit {
  dir: string;
  add?: string[];
  remove?: string[];
}

/** Adds and removes entries of `dir/kustomization.yaml`, creating it when missing. */
export function editKustomization(changes: Changeset, edit: KustomizationEdit): void {
  const path = joinPath(edit.dir, KUSTOMIZATION_FILE);
  const text = readTextOrUndefined(abs(changes.root, path));
  if (text === undefined) {
    changes.create(path, renderKustomization(edit.add ?? []));
    return;
  }
  const next = editResources(text, { add: edit.add, remove: edit.remove, order: CLUSTER_SUBDIRS });
  if (next !== undefined) changes.update(path, next);
}

/**
 * Makes sure a cluster folder has `folder/` (registrations, placements or children) with
 * a kustomization listing `entry`, and that the cluster's own kustomization lists it.
 */
export function addToFolder(changes: Changeset, target: FolderEntry): void {
  const dir = joinPath(target.clusterDir, target.folder);
  if (target.hasFolder) {
    editKustomization(changes, { dir, add: [target.entry] });
    return;
  }
  changes.create(joinPath(dir, KUSTOMIZATION_FILE), renderKustomization([target.entry]));
  editKustomization(changes, { dir: target.clusterDir, add: [target.folder] });
}

/** An entry to list in a cluster's sub-folder (see {@linkcode addToFolder}). */
export interface FolderEntry {
  clusterDir: string;
  /** registrations, placements or children. */
  folder: string;
  /** Whether the folder exists already. */
  hasFolder: boolean;
  entry: string;
}

/** A file to edit and what the edit is, for error messages ("scale cluster x"). */
export interface EditTarget {
  path: string;
  action: string;
}

/** Reads a repo file to edit; a RepoError saying the action when it is missing or broken. */
export function readForEdit(root: string, target: EditTarget): YamlFile {
  const { path, action } = target;
  const text = readTextOrUndefined(abs(root, path));
  if (text === undefined) throw new RepoError(`Cannot ${action}: ${path} does not exist`);
  const file = parseYamlFile(path, text);
  const problem = syntaxProblem(file);
  if (problem) throw new RepoError(`Cannot ${action}: ${problem}`);
  return file;
}

/** Throws a RepoError listing the schema problems of a value (`Cannot <action>: ...`). */
export function assertValid(
  schema: z.ZodType,
  subject: { value: unknown; action: string },
): void {
  const { value, action } = subject;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new RepoError(`Cannot ${action}: ${formatIssues(result.error).join("; ")}`);
  }
}
