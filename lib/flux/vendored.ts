/**
 * The vendored Flux manifests (third_party/flux/v<release>/, written by `deno task
 * vendor-flux`): loading a release's objects, and checking offline that no vendored file
 * drifted from its PROVENANCE.
 */
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../kube/mod.ts";
import { FLUX_RELEASES, type FluxRelease, fluxRelease } from "./releases.ts";

/** The folder holding every vendored release. */
export const VENDOR_ROOT = new URL("../../third_party/flux/", import.meta.url);

const cache = new Map<string, KubeObject[]>();

async function readObjects(url: URL): Promise<KubeObject[]> {
  const key = url.href;
  const hit = cache.get(key);
  if (hit) return structuredClone(hit);
  const text = await Deno.readTextFile(url);
  const objs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject).filter(Boolean);
  cache.set(key, objs);
  return structuredClone(objs);
}

/**
 * Every object of `release` for `components` in apply order: the namespace, then each
 * component's CRDs, RBAC and Deployment.
 */
export async function fluxManifests(
  release: FluxRelease,
  components: readonly string[],
): Promise<KubeObject[]> {
  const dir = new URL(`v${release.version}/`, VENDOR_ROOT);
  const objs = await readObjects(new URL("namespace.yaml", dir));
  for (const component of components) {
    if (!release.components[component]) {
      throw new Error(
        `Cannot install Flux ${release.version}: component ${component} is not vendored ` +
          `(available: ${Object.keys(release.components).join(", ")})`,
      );
    }
    objs.push(...await readObjects(new URL(`${component}.yaml`, dir)));
  }
  return objs;
}

/** The objects of the release named `version`; throws when it is not supported. */
export function fluxManifestsOf(
  version: string,
  components: readonly string[],
): Promise<KubeObject[]> {
  const release = fluxRelease(version);
  if (!release) throw new Error(`Cannot install Flux ${version}: not a supported release`);
  return fluxManifests(release, components);
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Offline drift check of the vendored releases: every release has a folder whose
 * PROVENANCE names the pinned module versions and whose files match their sha256; no
 * folder is unaccounted for. Returns the problems (empty when all is well).
 */
export async function vendoredFluxProblems(root: URL = VENDOR_ROOT): Promise<string[]> {
  const problems: string[] = [];
  const dirs = new Set<string>();
  for await (const e of Deno.readDir(root)) if (e.isDirectory) dirs.add(e.name);
  for (const release of FLUX_RELEASES) {
    const name = `v${release.version}`;
    const dir = new URL(`${name}/`, root);
    if (!dirs.delete(name)) {
      problems.push(`third_party/flux/${name}: missing (run deno task vendor-flux)`);
      continue;
    }
    const provenance = await Deno.readTextFile(new URL("PROVENANCE", dir)).catch(() => "");
    const listed = new Set<string>();
    for (const [component, version] of Object.entries(release.components)) {
      const line = `component ${component} github.com/fluxcd/${component}@${version}`;
      if (!provenance.split("\n").includes(line)) {
        problems.push(`third_party/flux/${name}/PROVENANCE: lacks "${line}"`);
      }
    }
    for (const m of provenance.matchAll(/^sha256 ([0-9a-f]{64}) {2}(\S+)$/gm)) {
      listed.add(m[2]);
      const bytes = await Deno.readFile(new URL(m[2], dir)).catch(() => undefined);
      if (!bytes) problems.push(`third_party/flux/${name}/${m[2]}: missing`);
      else if (await sha256(bytes) !== m[1]) {
        problems.push(`third_party/flux/${name}/${m[2]}: sha256 differs from PROVENANCE`);
      }
    }
    for await (const e of Deno.readDir(dir)) {
      if (e.name !== "PROVENANCE" && !listed.has(e.name)) {
        problems.push(`third_party/flux/${name}/${e.name}: not in PROVENANCE`);
      }
    }
  }
  for (const d of dirs) problems.push(`third_party/flux/${d}: not a supported release`);
  return problems;
}
