/**
 * PROVENANCE files of third_party/crds and the offline drift check `generate --check` runs:
 * every folder holds exactly the files its PROVENANCE lists, each with the recorded sha256,
 * and every PROVENANCE says what scripts/vendor_crds/sources.ts says. No network.
 */
import { CRD_SETS, type CrdSet, type CrdSource } from "./sources.ts";

/** Name of the provenance file in every vendored folder. */
export const PROVENANCE = "PROVENANCE";
/** Files allowed at the top of third_party/crds beside the folders. */
const TOP_LEVEL_FILES = new Set(["README.md"]);

/** One vendored file: its name in the folder, hash, and where it was taken from. */
export interface VendoredFile {
  name: string;
  sha256: string;
  module: string;
  version: string;
  /** Path inside the module. */
  path: string;
}

/** What a PROVENANCE file records beyond the manifest: hashes and module checksums. */
export interface Provenance {
  files: VendoredFile[];
  /** go.sum hash (h1:…) of each module that was downloaded, by `module@version`. */
  sums: Record<string, string>;
}

/** Hex sha256 of `bytes`. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const NOT_SERVED = "(not served by the Go module proxy)";

/** The PROVENANCE text of `set` with the given files and module checksums. */
export function renderProvenance(set: CrdSet, provenance: Provenance): string {
  const lines = [
    "# Verbatim upstream CustomResourceDefinitions. Written by `deno task vendor-crds`",
    "# (scripts/vendor_crds.ts) from the released sources below; never edit by hand.",
    `project: ${set.project}`,
    `tag: ${set.tag}`,
    `licence: ${set.licence}`,
    ...set.sources.map((s) => {
      const key = `${s.module}@${s.version}`;
      return `module: ${key} ${provenance.sums[key] ?? NOT_SERVED}`;
    }),
    ...(set.git ? [`git: ${set.git.url} ${set.git.tag} ${set.git.commit}`] : []),
    ...(set.note ? [`note: ${set.note}`] : []),
    "files (sha256, file, module@version:path):",
    ...[...provenance.files].sort((a, b) => a.name.localeCompare(b.name)).map((f) =>
      `${f.sha256}  ${f.name}  ${f.module}@${f.version}:${f.path}`
    ),
  ];
  return lines.join("\n") + "\n";
}

/** Reads the hashes and module checksums back from a PROVENANCE text. */
export function parseProvenance(text: string): Provenance {
  const files: VendoredFile[] = [];
  const sums: Record<string, string> = {};
  let inFiles = false;
  for (const line of text.split("\n")) {
    if (inFiles) {
      const m = /^([0-9a-f]{64}) {2}(\S+) {2}(\S+)@([^@:\s]+):(\S+)$/.exec(line);
      if (m) files.push({ sha256: m[1], name: m[2], module: m[3], version: m[4], path: m[5] });
      else if (line !== "") throw new Error(`unreadable file line: ${line}`);
    } else if (line.startsWith("files ")) {
      inFiles = true;
    } else {
      const m = /^module: (\S+) (h1:\S+)$/.exec(line);
      if (m) sums[m[1]] = m[2];
    }
  }
  return { files, sums };
}

/** Whether `path` (inside a module) is one that `pattern` names. */
export function matchesPattern(pattern: string, path: string): boolean {
  const cut = pattern.lastIndexOf("/");
  const dir = pattern.slice(0, cut + 1);
  const base = pattern.slice(cut + 1);
  if (!path.startsWith(dir) || path.slice(dir.length).includes("/")) return false;
  const [head, tail, ...more] = base.split("*");
  if (tail === undefined) return path.slice(dir.length) === base;
  if (more.length > 0) throw new Error(`pattern ${pattern}: only one * is supported`);
  const name = path.slice(dir.length);
  return name.length >= head.length + tail.length && name.startsWith(head) && name.endsWith(tail);
}

/** The vendored name of `path` taken from `source`. */
export function vendoredName(source: CrdSource, path: string): string {
  return source.rename?.[path] ?? path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Every way `dir` (third_party/crds) differs from what its PROVENANCE files and
 * sources.ts say: missing or extra folders and files, changed bytes, a PROVENANCE that is
 * out of date. Empty when the vendored copy is intact.
 */
export async function checkVendoredCrds(
  dir: string,
  sets: readonly CrdSet[] = CRD_SETS,
): Promise<string[]> {
  const problems: string[] = [];
  const present = new Map<string, boolean>();
  try {
    for await (const e of Deno.readDir(dir)) present.set(e.name, e.isDirectory);
  } catch (e) {
    return [`${dir}: cannot read (${(e as Error).message}); run deno task vendor-crds`];
  }
  for (const [name, isDir] of present) {
    if (!(isDir ? sets.some((s) => s.folder === name) : TOP_LEVEL_FILES.has(name))) {
      problems.push(`${dir}/${name}: not a vendored set (not in scripts/vendor_crds/sources.ts)`);
    }
  }
  for (const set of sets) {
    if (present.get(set.folder) !== true) {
      problems.push(`${dir}/${set.folder}: missing; run deno task vendor-crds ${set.folder}`);
      continue;
    }
    problems.push(...await checkSet(`${dir}/${set.folder}`, set));
  }
  return problems;
}

async function checkSet(folder: string, set: CrdSet): Promise<string[]> {
  const problems: string[] = [];
  let text: string;
  let provenance: Provenance;
  try {
    text = await Deno.readTextFile(`${folder}/${PROVENANCE}`);
    provenance = parseProvenance(text);
  } catch (e) {
    return [`${folder}/${PROVENANCE}: ${(e as Error).message}`];
  }
  if (renderProvenance(set, provenance) !== text) {
    problems.push(
      `${folder}/${PROVENANCE}: does not match scripts/vendor_crds/sources.ts ` +
        `(run deno task vendor-crds ${set.folder})`,
    );
  }
  for (const f of provenance.files) {
    const source = set.sources.find((s) => s.module === f.module && s.version === f.version);
    if (!source || !source.paths.some((p) => matchesPattern(p, f.path))) {
      problems.push(
        `${folder}/${PROVENANCE}: ${f.name} comes from a path sources.ts does not name`,
      );
    } else if (vendoredName(source, f.path) !== f.name) {
      problems.push(`${folder}/${PROVENANCE}: ${f.name} is not the vendored name of ${f.path}`);
    }
  }
  const listed = new Map(provenance.files.map((f) => [f.name, f]));
  const onDisk = new Set<string>();
  for await (const e of Deno.readDir(folder)) {
    if (e.name === PROVENANCE) continue;
    onDisk.add(e.name);
    const entry = listed.get(e.name);
    if (!e.isFile || !entry) {
      problems.push(`${folder}/${e.name}: not listed in ${PROVENANCE}`);
      continue;
    }
    const actual = await sha256(await Deno.readFile(`${folder}/${e.name}`));
    if (actual !== entry.sha256) {
      problems.push(`${folder}/${e.name}: sha256 ${actual} differs from ${PROVENANCE}`);
    }
  }
  for (const name of listed.keys()) {
    if (!onDisk.has(name)) problems.push(`${folder}/${name}: listed in ${PROVENANCE}, missing`);
  }
  return problems;
}
