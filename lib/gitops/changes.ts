/**
 * A set of file changes computed first and written together, so a refused command
 * leaves the repository untouched; each change becomes one "Created …", "Updated …" or
 * "Removed …" line.
 */
import { abs, readTextOrUndefined } from "./fs.ts";

/** One line of a command's output. */
export interface Change {
  /** "Unchanged": the file already had the text the command would write. */
  action: "Created" | "Updated" | "Unchanged" | "Removed";
  /** Repo-relative path; folders end in `/`. */
  path: string;
  /** Shown in parentheses after the path, e.g. `flux.suspend: true`. */
  note?: string;
}

/** Renders a change as the CLI prints it. */
export function formatChange(change: Change): string {
  return `${change.action} ${change.path}${change.note ? ` (${change.note})` : ""}`;
}

/** Changes to the repository at one root, applied by {@linkcode Changeset.apply}. */
export class Changeset {
  /** Absolute path of the repository the changes apply to. */
  readonly root: string;
  readonly #writes: { path: string; text: string }[] = [];
  readonly #removals: string[] = [];
  /** The changes in the order they were added (the order they are printed). */
  readonly changes: Change[] = [];

  constructor(root: string) {
    this.root = root;
  }

  /** A new file (or "Unchanged" when it exists with exactly this text). */
  create(path: string, text: string): void {
    if (readTextOrUndefined(abs(this.root, path)) === text) {
      this.changes.push({ action: "Unchanged", path });
      return;
    }
    this.#writes.push({ path, text });
    this.changes.push({ action: "Created", path });
  }

  /** A new text for an existing file; "Unchanged" (and no write) when the text is the same. */
  update(path: string, text: string, note?: string): void {
    if (readTextOrUndefined(abs(this.root, path)) === text) {
      this.changes.push({ action: "Unchanged", path, note });
      return;
    }
    this.#writes.push({ path, text });
    this.changes.push({ action: "Updated", path, note });
  }

  /** A file or (path ending in `/`) a whole folder to remove. */
  remove(path: string, note?: string): void {
    this.#removals.push(path.replace(/\/$/, ""));
    this.changes.push({ action: "Removed", path, note });
  }

  /** Writes every change to disk: removals first, then files (creating folders). */
  async apply(): Promise<Change[]> {
    for (const path of this.#removals) {
      await Deno.remove(abs(this.root, path), { recursive: true });
    }
    for (const { path, text } of this.#writes) {
      const full = abs(this.root, path);
      await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(full, text);
    }
    return this.changes;
  }
}
