/**
 * `deno task generate`: rewrites every generated file from its source of truth.
 * - crds/*.yaml from the zod schemas in lib/api.
 * - lib/proto/**.ts from proto/ (buf + ts-proto from npm, run under Deno; see buf.gen.yaml).
 *
 * `--check` writes nothing and exits 1 listing the files that are out of date.
 */
import { CRD_DEFINITIONS, crdFileName, renderCrd } from "../lib/api/mod.ts";

/** One generated file: where it goes and what it must contain. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** Every generated file, computed in memory (the proto output in a temp dir). */
export async function generatedFiles(root: URL): Promise<GeneratedFile[]> {
  const crds = CRD_DEFINITIONS.map((def) => ({
    path: new URL(`crds/${crdFileName(def)}`, root).pathname,
    content: renderCrd(def),
  }));
  return [...crds, ...await protoFiles(root)];
}

/** The pinned buf CLI; its npm package ships the binary, so generation works offline. */
export const BUF = "npm:@bufbuild/buf@1.74.0";

/**
 * Runs `buf generate` (plugin ts-proto, buf.gen.yaml) into a temp dir and returns the files
 * as they belong under lib/proto. Generating elsewhere keeps `--check` free of writes.
 */
export async function protoFiles(root: URL): Promise<GeneratedFile[]> {
  const tmp = await Deno.makeTempDir({ prefix: "lattice-proto-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BUF, "generate", "--output", tmp],
      cwd: root.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const detail = new TextDecoder().decode(out.stderr).trim();
      throw new Error(`Cannot generate lib/proto: buf generate failed\n${detail}`);
    }
    const files: GeneratedFile[] = [];
    await collect(`${tmp}/lib/proto`, "lib/proto", root, files);
    return files.sort((a, b) => a.path.localeCompare(b.path));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function collect(dir: string, rel: string, root: URL, files: GeneratedFile[]) {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      await collect(`${dir}/${entry.name}`, `${rel}/${entry.name}`, root, files);
    } else if (entry.isFile) {
      files.push({
        path: new URL(`${rel}/${entry.name}`, root).pathname,
        content: await Deno.readTextFile(`${dir}/${entry.name}`),
      });
    }
  }
}

/** Paths whose content on disk differs from what generation produces. */
export async function staleFiles(root: URL): Promise<string[]> {
  const stale: string[] = [];
  for (const file of await generatedFiles(root)) {
    const current = await Deno.readTextFile(file.path).catch(() => null);
    if (current !== file.content) stale.push(file.path);
  }
  return stale;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  if (Deno.args.includes("--check")) {
    const stale = await staleFiles(root);
    if (stale.length > 0) {
      console.error(`out of date (run deno task generate):\n${stale.join("\n")}`);
      Deno.exit(1);
    }
  } else {
    for (const file of await generatedFiles(root)) {
      await Deno.mkdir(new URL(".", `file://${file.path}`), { recursive: true });
      await Deno.writeTextFile(file.path, file.content);
      console.log(`wrote ${file.path.slice(root.pathname.length)}`);
    }
  }
}
