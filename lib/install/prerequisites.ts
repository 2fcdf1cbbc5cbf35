/**
 * The tools `lattice install` (and the kind end-to-end run) drive, checked up front so a
 * missing one is reported before anything is created.
 */

/** A tool, the arguments that prove it works, and what to install when they fail. */
export interface Prerequisite {
  name: string;
  args: string[];
  hint: string;
}

/** What `lattice install` needs on the machine. */
export const INSTALL_PREREQUISITES: readonly Prerequisite[] = [
  {
    name: "docker",
    args: ["info", "--format", "{{.ServerVersion}}"],
    hint: "a running Docker engine (docker info must succeed)",
  },
  { name: "kind", args: ["version"], hint: "kind v0.29 or later (https://kind.sigs.k8s.io)" },
  {
    name: "clusterctl",
    args: ["version"],
    hint: "clusterctl v1.14 (https://cluster-api.sigs.k8s.io)",
  },
];

/** What `deno task e2e` needs besides: kubectl, for its proxy step. */
export const E2E_PREREQUISITES: readonly Prerequisite[] = [
  ...INSTALL_PREREQUISITES,
  { name: "kubectl", args: ["version", "--client"], hint: "kubectl v1.31 or later" },
];

/** The executable `name` found on `path` (a PATH value), or undefined. */
export function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(":").filter(Boolean)) {
    const candidate = `${dir}/${name}`;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch { /* not here */ }
  }
  return undefined;
}

/**
 * `name: hint` of every prerequisite that is not on `path` (default: this process's PATH)
 * or whose check fails, in order.
 */
export async function missingPrerequisites(
  list: readonly Prerequisite[] = INSTALL_PREREQUISITES,
  path: string = Deno.env.get("PATH") ?? "",
): Promise<string[]> {
  const missing: string[] = [];
  for (const p of list) {
    const exe = findOnPath(p.name, path);
    const ok = exe !== undefined && await new Deno.Command(exe, {
      args: p.args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output().then((out) => out.success, () => false);
    if (!ok) missing.push(`${p.name}: ${p.hint}`);
  }
  return missing;
}
