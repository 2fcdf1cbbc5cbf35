/**
 * etcd templates: a data dir in which a given set of CRDs is already installed and
 * Established. Installing Cluster API's CRDs costs 5–10 s of apiserver work per plane;
 * copying a template costs milliseconds, so a plane asked for CRDs at start-up is seeded
 * from one (built once per CRD set and binaries, then shared by every process).
 *
 * A template is taken from a stopped etcd (SIGTERM: etcd closes its database cleanly), never
 * from a live one, whose files could be caught mid-write.
 */
import { latticeCrds } from "../api/mod.ts";
import type { Binaries } from "./binaries.ts";
import { defaultCrdRoot, type InstallCrdsOptions, upstreamFiles } from "./crds.ts";

// Bumped whenever the way templates are built changes, so old ones are never reused.
const FORMAT = "1";
const NAMES_FILE = "crd-names.json";

/** A template ready to copy. */
export interface EtcdTemplate {
  /** Directory holding etcd's `member/` tree. */
  dir: string;
  /** `customresourcedefinition.apiextensions.k8s.io/<name>` of every CRD in it. */
  crdNames: string[];
}

/** What building a template needs from the plane machinery (avoids an import cycle). */
export interface TemplateBuilder {
  /**
   * Starts a plane without CRDs, installs `crds` into it, and returns the CRD names, the
   * plane's etcd data dir and a function that stops etcd cleanly and then the plane.
   */
  build(crds: InstallCrdsOptions): Promise<{
    crdNames: string[];
    etcdDataDir: string;
    stopCleanly(): Promise<void>;
    stop(): Promise<void>;
  }>;
}

const building = new Map<string, Promise<EtcdTemplate>>();

/** Returns the template for `crds`, building it first if no process has yet. */
export function etcdTemplate(
  root: string,
  crds: InstallCrdsOptions,
  deps: { binaries: Binaries; builder: TemplateBuilder },
): Promise<EtcdTemplate> {
  const run = async () => {
    const key = await templateKey(crds, deps.binaries);
    const dir = `${root}/lattice-etcd-templates/${key}`;
    const existing = await readTemplate(dir);
    if (existing) return existing;
    let inFlight = building.get(dir);
    if (!inFlight) {
      inFlight = buildTemplate(dir, crds, deps.builder).finally(() => building.delete(dir));
      building.set(dir, inFlight);
    }
    return await inFlight;
  };
  return run();
}

async function readTemplate(dir: string): Promise<EtcdTemplate | undefined> {
  try {
    const crdNames = JSON.parse(await Deno.readTextFile(`${dir}/${NAMES_FILE}`)) as string[];
    return { dir, crdNames };
  } catch {
    return undefined;
  }
}

async function buildTemplate(
  dir: string,
  crds: InstallCrdsOptions,
  builder: TemplateBuilder,
): Promise<EtcdTemplate> {
  const built = await builder.build(crds);
  const staging = `${dir}.tmp-${crypto.randomUUID()}`;
  try {
    await built.stopCleanly();
    await copyTree(built.etcdDataDir, staging);
    // Written last: a template without it is incomplete and never read.
    await Deno.writeTextFile(`${staging}/${NAMES_FILE}`, JSON.stringify(built.crdNames));
    try {
      await Deno.rename(staging, dir);
    } catch {
      // Another process finished the same template first; theirs is as good as ours.
      await Deno.remove(staging, { recursive: true }).catch(() => {});
    }
  } catch (e) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw new Error(`Cannot build an etcd template: ${(e as Error).message}`, { cause: e });
  } finally {
    await built.stop();
  }
  const ready = await readTemplate(dir);
  if (!ready) throw new Error(`Cannot build an etcd template: ${dir} is incomplete`);
  return ready;
}

/** Copies `src` to `dst` recursively (files and directories only, as etcd's data dir has). */
export async function copyTree(src: string, dst: string): Promise<void> {
  await Deno.mkdir(dst, { recursive: true, mode: 0o700 });
  for await (const entry of Deno.readDir(src)) {
    const from = `${src}/${entry.name}`;
    const to = `${dst}/${entry.name}`;
    if (entry.isDirectory) await copyTree(from, to);
    else if (entry.isFile) await Deno.copyFile(from, to);
  }
}

/**
 * Identifies a template: the CRDs' exact content and the binaries that wrote it (another
 * apiserver version may store objects differently).
 */
async function templateKey(crds: InstallCrdsOptions, binaries: Binaries): Promise<string> {
  const parts: string[] = [FORMAT];
  for (const path of [binaries.etcd, binaries.kubeApiserver]) {
    const info = await Deno.stat(path);
    parts.push(`${path}:${info.size}:${info.mtime?.getTime() ?? 0}`);
  }
  if (crds.lattice) parts.push(JSON.stringify(latticeCrds()));
  const files = await upstreamFiles(crds.upstream ?? [], crds.root ?? defaultCrdRoot());
  for (const file of files) parts.push(file, await Deno.readTextFile(file));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\0")));
  return Array.from(new Uint8Array(digest).slice(0, 12), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}
