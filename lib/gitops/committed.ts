/**
 * The committed version (git HEAD) of changed cluster files: the repository's context for
 * the rules that compare a spec with what runs — immutable fields, no downgrade, one
 * Kubernetes minor at a time. In GitOps the committed spec is what Flux applies, so it
 * stands in for the operator's `status`. Without git, a commit, or a change there is no
 * previous spec and those rules are skipped.
 */
import { parse } from "yaml";

function git(root: string, args: string[]): string | undefined {
  try {
    const out = new Deno.Command("git", {
      args: ["-C", root, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined; // no git binary, or not allowed to run it
  }
}

/**
 * The HEAD documents of those `paths` (repo-relative) that differ from HEAD in the work
 * tree, by path. One `git diff` for the whole repository, one `git cat-file` per changed
 * cluster file.
 */
export function committedDocuments(root: string, paths: readonly string[]): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const changed = git(root, ["diff", "--name-only", "--relative", "HEAD", "--"]);
  if (!changed) return found;
  const wanted = new Set(paths);
  for (const path of changed.split("\n").filter((p) => wanted.has(p))) {
    const text = git(root, ["cat-file", "-p", `HEAD:./${path}`]);
    if (text === undefined) continue;
    try {
      found.set(path, parse(text));
    } catch {
      // A committed file that does not parse gives no context.
    }
  }
  return found;
}
