/**
 * The fleet's repository as `lattice install --git-repo URL --git-credentials FILE
 * [--git-branch B]` gives it: checked before anything is created, so a typo fails the
 * command instead of a cluster's Flux.
 */
import { gitCredentialsProblem } from "./credentials.ts";

/** A repository source given on the command line. */
export interface GitSource {
  repoUrl: string;
  branch: string;
  credentials: Uint8Array;
}

/** Why `url` cannot be a Flux GitRepository URL, or undefined. */
export function repoUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${url} is not a URL (expected https://host/org/repo or ssh://git@host/org/repo)`;
  }
  if (!["http:", "https:", "ssh:"].includes(parsed.protocol)) {
    return `${url}: scheme ${parsed.protocol.slice(0, -1)} is not supported (http, https, ssh)`;
  }
  if (!parsed.hostname) return `${url} has no host`;
  if (parsed.password) {
    return `${url} carries a password; pass credentials with --git-credentials FILE instead`;
  }
  return undefined;
}

/** Reads and checks a source; throws an Error naming the flag or file at fault. */
export async function readGitSource(
  repoUrl: string,
  credentialsFile: string | undefined,
  branch = "main",
): Promise<GitSource> {
  const urlProblem = repoUrlProblem(repoUrl);
  if (urlProblem) throw new Error(`invalid --git-repo: ${urlProblem}`);
  if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes("..")) {
    throw new Error(`invalid --git-branch: ${branch}`);
  }
  let credentials = new Uint8Array();
  if (credentialsFile) {
    let text: string;
    try {
      text = await Deno.readTextFile(credentialsFile);
    } catch (error) {
      throw new Error(`Cannot read ${credentialsFile}: ${(error as Error).message}`);
    }
    const problem = gitCredentialsProblem(text);
    if (problem) throw new Error(`${credentialsFile}: ${problem}`);
    credentials = new TextEncoder().encode(text);
  }
  return { repoUrl, branch, credentials };
}
