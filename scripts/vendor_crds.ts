/**
 * `deno task vendor-crds [--verify] [FOLDER...]`: refreshes third_party/crds from the
 * released upstream sources named in scripts/vendor_crds/sources.ts, through the Go module
 * proxy (`go mod download -json`, which also checks each zip against the checksum
 * database), falling back to a git clone of the release tag pinned to its commit where a
 * set says so. Writes each folder's files and PROVENANCE (sha256 of every file).
 *
 * `--verify` writes nothing: it fetches, compares with the committed copy and exits 1 on
 * any difference. Needs network; `deno run -A scripts/generate.ts --check` is the offline
 * check (hashes and file sets only).
 */
import { CRD_SETS, type CrdSet, type CrdSource } from "./vendor_crds/sources.ts";
import {
  checkVendoredCrds,
  matchesPattern,
  PROVENANCE,
  renderProvenance,
  sha256,
  type VendoredFile,
  vendoredName,
} from "./vendor_crds/provenance.ts";

/** A set as fetched: its files' bytes and the PROVENANCE text to write beside them. */
export interface FetchedSet {
  files: Map<string, Uint8Array>;
  provenance: string;
  /** How it was obtained, for the report. */
  via: string;
}

interface ModuleDownload {
  Dir?: string;
  Sum?: string;
  Error?: string;
}

/** `go mod download -json module@version`: the extracted folder and go.sum hash. */
export async function downloadModule(
  module: string,
  version: string,
): Promise<{ dir: string; sum: string }> {
  const cwd = await Deno.makeTempDir({ prefix: "lattice-vendor-crds-" });
  try {
    const out = await new Deno.Command("go", {
      args: ["mod", "download", "-json", `${module}@${version}`],
      cwd,
      env: { GOFLAGS: "-mod=mod", GO111MODULE: "on" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    let info: ModuleDownload = {};
    try {
      info = JSON.parse(text) as ModuleDownload;
    } catch {
      info = { Error: new TextDecoder().decode(out.stderr).trim() || text };
    }
    if (info.Error || !info.Dir || !info.Sum) {
      throw new Error(`go mod download ${module}@${version}: ${info.Error ?? "no Dir in output"}`);
    }
    return { dir: info.Dir, sum: info.Sum };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

/** The paths inside `root` that `source.paths` names, sorted; each pattern must match. */
export async function expandPaths(root: string, source: CrdSource): Promise<string[]> {
  const out: string[] = [];
  for (const pattern of source.paths) {
    const dir = pattern.slice(0, pattern.lastIndexOf("/") + 1);
    const found: string[] = [];
    try {
      for await (const e of Deno.readDir(`${root}/${dir}`)) {
        if (e.isFile && matchesPattern(pattern, `${dir}${e.name}`)) found.push(`${dir}${e.name}`);
      }
    } catch (e) {
      throw new Error(`${source.module}@${source.version}: cannot read ${dir}`, { cause: e });
    }
    if (found.length === 0) {
      throw new Error(`${source.module}@${source.version}: nothing matches ${pattern}`);
    }
    out.push(...found.sort());
  }
  return out;
}

async function collect(
  root: string,
  source: CrdSource,
  files: Map<string, Uint8Array>,
  listed: VendoredFile[],
): Promise<void> {
  for (const path of await expandPaths(root, source)) {
    const name = vendoredName(source, path);
    if (files.has(name)) throw new Error(`two files would be vendored as ${name}`);
    const bytes = await Deno.readFile(`${root}/${path}`);
    files.set(name, bytes);
    listed.push({
      name,
      sha256: await sha256(bytes),
      module: source.module,
      version: source.version,
      path,
    });
  }
}

/** Fetches one set from the module proxy, else from its git fallback. */
export async function fetchSet(set: CrdSet): Promise<FetchedSet> {
  const files = new Map<string, Uint8Array>();
  const listed: VendoredFile[] = [];
  const sums: Record<string, string> = {};
  try {
    for (const source of set.sources) {
      const { dir, sum } = await downloadModule(source.module, source.version);
      sums[`${source.module}@${source.version}`] = sum;
      await collect(dir, source, files, listed);
    }
    return {
      files,
      provenance: renderProvenance(set, { files: listed, sums }),
      via: "module proxy",
    };
  } catch (e) {
    if (!set.git) throw e;
    const proxyError = (e as Error).message;
    try {
      return await fetchFromGit(set, set.git);
    } catch (g) {
      throw new Error(`${proxyError}; git fallback: ${(g as Error).message}`);
    }
  }
}

export async function fetchFromGit(
  set: CrdSet,
  git: NonNullable<CrdSet["git"]>,
): Promise<FetchedSet> {
  const tmp = await Deno.makeTempDir({ prefix: "lattice-vendor-crds-git-" });
  try {
    await run("git", ["clone", "--quiet", "--depth", "1", "--branch", git.tag, git.url, tmp]);
    const head = (await run("git", ["-C", tmp, "rev-parse", "HEAD"])).trim();
    if (head !== git.commit) throw new Error(`${git.url} ${git.tag} is ${head}, not ${git.commit}`);
    const files = new Map<string, Uint8Array>();
    const listed: VendoredFile[] = [];
    for (const source of set.sources) await collect(tmp, source, files, listed);
    return {
      files,
      provenance: renderProvenance(set, { files: listed, sums: {} }),
      via: `git ${git.tag}`,
    };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Whether the folder on disk already holds exactly `fetched`. */
export async function sameAsCommitted(folder: string, fetched: FetchedSet): Promise<boolean> {
  const onDisk = new Set<string>();
  try {
    for await (const e of Deno.readDir(folder)) onDisk.add(e.name);
  } catch {
    return false;
  }
  if (onDisk.size !== fetched.files.size + 1 || !onDisk.has(PROVENANCE)) return false;
  const provenance = await Deno.readTextFile(`${folder}/${PROVENANCE}`);
  if (provenance !== fetched.provenance) return false;
  for (const [name, bytes] of fetched.files) {
    const current = await Deno.readFile(`${folder}/${name}`).catch(() => null);
    if (!current || (await sha256(current)) !== (await sha256(bytes))) return false;
  }
  return true;
}

/** Replaces `folder` with `fetched` (written beside it first, then swapped in). */
export async function writeSet(folder: string, fetched: FetchedSet): Promise<void> {
  const staging = `${folder}.partial`;
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  await Deno.mkdir(staging, { recursive: true });
  for (const [name, bytes] of fetched.files) await Deno.writeFile(`${staging}/${name}`, bytes);
  await Deno.writeTextFile(`${staging}/${PROVENANCE}`, fetched.provenance);
  await Deno.remove(folder, { recursive: true }).catch(() => {});
  await Deno.rename(staging, folder);
}

if (import.meta.main) {
  const root = new URL("../third_party/crds", import.meta.url).pathname;
  const verify = Deno.args.includes("--verify");
  const wanted = Deno.args.filter((a) => !a.startsWith("--"));
  const unknown = wanted.filter((w) => !CRD_SETS.some((s) => s.folder === w));
  if (unknown.length > 0) {
    console.error(`unknown set(s): ${unknown.join(", ")}`);
    Deno.exit(2);
  }
  const sets = CRD_SETS.filter((s) => wanted.length === 0 || wanted.includes(s.folder));
  const started = performance.now();
  let failed = 0;
  let kept = 0;
  for (const set of sets) {
    const t0 = performance.now();
    const folder = `${root}/${set.folder}`;
    let fetched: FetchedSet;
    try {
      fetched = await fetchSet(set);
    } catch (e) {
      // Not refreshable from here: the committed copy stays, and must still be intact.
      const problems = await checkVendoredCrds(root, [set]).then((p) =>
        p.filter((x) => x.includes(`/${set.folder}`))
      );
      kept++;
      if (problems.length > 0) failed++;
      console.log(
        `${set.folder}: NOT REFRESHED (${(e as Error).message}); committed copy ` +
          (problems.length === 0
            ? "kept, hashes verified"
            : `is damaged:\n  ${problems.join("\n  ")}`),
      );
      continue;
    }
    const bytes = [...fetched.files.values()].reduce((n, b) => n + b.length, 0);
    const same = await sameAsCommitted(folder, fetched);
    const took = ((performance.now() - t0) / 1000).toFixed(1);
    const what = `${fetched.files.size} files, ${(bytes / 1024).toFixed(0)} KiB via ${fetched.via}`;
    if (same) {
      console.log(`${set.folder}: unchanged (${what}, ${took} s)`);
    } else if (verify) {
      failed++;
      console.log(`${set.folder}: DIFFERS from the released source (${what})`);
    } else {
      await writeSet(folder, fetched);
      console.log(`${set.folder}: written (${what}, ${took} s)`);
    }
  }
  const total = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `${sets.length} set(s) in ${total} s; ${kept} not refreshable here; ${failed} failed`,
  );
  Deno.exit(failed > 0 ? 1 : 0);
}
