/**
 * `deno task generate`: rewrites every generated file from its source of truth.
 * - crds/*.yaml from the zod schemas in lib/api.
 *
 * `--check` writes nothing and exits 1 listing the files that are out of date.
 */
import { CRD_DEFINITIONS, crdFileName, renderCrd } from "../lib/api/mod.ts";

/** One generated file: where it goes and what it must contain. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** Every generated file, computed in memory. */
export function generatedFiles(root: URL): GeneratedFile[] {
  return CRD_DEFINITIONS.map((def) => ({
    path: new URL(`crds/${crdFileName(def)}`, root).pathname,
    content: renderCrd(def),
  }));
}

/** Paths whose content on disk differs from what generation produces. */
export async function staleFiles(root: URL): Promise<string[]> {
  const stale: string[] = [];
  for (const file of generatedFiles(root)) {
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
    for (const file of generatedFiles(root)) {
      await Deno.mkdir(new URL(".", `file://${file.path}`), { recursive: true });
      await Deno.writeTextFile(file.path, file.content);
      console.log(`wrote ${file.path.slice(root.pathname.length)}`);
    }
  }
}
