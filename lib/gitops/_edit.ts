/**
 * Editing helpers shared by the cluster, service and flux commands: kustomization
 * upkeep, reading a document to edit, validating what is about to be written.
 */
import { type z, ZodError } from "zod";
import { flagForField } from "./cli/provider_flags.ts";
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

/**
 * Throws a RepoError listing the schema problems of a value (`Cannot <action>: ...`),
 * each with the flag that sets the field and in plain words rather than zod's.
 */
export function assertValid(
  schema: z.ZodType,
  subject: { value: unknown; action: string },
): void {
  const { value, action } = subject;
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const field = formatIssues(new ZodError([issue]))[0];
      const path = field.slice(0, Math.max(field.length - issue.message.length - 2, 0));
      const flag = flagForField(path);
      const message = plainMessage(issue.message);
      return path === "" ? message : `${flag ? `--${flag} (${path})` : path}: ${message}`;
    });
    throw new RepoError(`Cannot ${action}: ${problems.join("; ")}`);
  }
}

/** zod's default wording, as a person would say it; rule messages pass unchanged. */
export function plainMessage(message: string): string {
  const big = /^Too big: expected \w+ to (?:be|have) <=?(\d+)(.*)$/.exec(message);
  if (big) return `must be at most ${big[1]}${big[2]}`;
  if (/^Too small: expected string to have >=1 characters$/.test(message)) {
    return "must not be empty";
  }
  const small = /^Too small: expected \w+ to (?:be|have) >=?(\d+)(.*)$/.exec(message);
  if (small) return `must be at least ${small[1]}${small[2]}`;
  if (/^Invalid input: expected \w+, received undefined$/.test(message)) return "is required";
  const type = /^Invalid input: expected (\w+), received (\w+)$/.exec(message);
  if (type) return `must be a ${type[1]} (got a ${type[2]})`;
  const keys = /^Unrecognized keys?: (.*)$/.exec(message);
  if (keys) return `unknown field ${keys[1]}`;
  return message;
}
