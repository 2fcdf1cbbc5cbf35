/**
 * What a revision of a service holds: the controller fetches the candidate GitRepository's
 * artifact from source-controller (a tar.gz, as kustomize-controller does), reads the YAML
 * under the registration's path and lists the workloads and their containers — enough to
 * aim the override patches at them and to refuse overrides the revision has nothing for.
 *
 * It reads manifests, it does not run kustomize: workloads pulled in from outside the path
 * (`resources: [../base]`) are found only when they sit in the artifact under that path's
 * parent folders too; see docs/placements.md. Bounded: artifacts over 64 MiB and files over
 * 4 MiB are refused.
 */
import { parseAllDocuments } from "yaml";

/** A workload of the service: its kind, name and container names. */
export interface Workload {
  kind: string;
  name: string;
  containers: string[];
}

/** Largest artifact fetched (bytes, uncompressed). */
export const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** One regular file of a tar archive. */
export interface TarFile {
  path: string;
  data: Uint8Array;
}

function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function octal(bytes: Uint8Array): number {
  const s = text(bytes).trim();
  return s ? parseInt(s, 8) : 0;
}

function paxPath(data: Uint8Array): string | undefined {
  for (const line of new TextDecoder().decode(data).split("\n")) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** The regular files of an (uncompressed) tar archive: ustar, PAX and GNU long names. */
export function untar(archive: Uint8Array): TarFile[] {
  const files: TarFile[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = octal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 48);
    const prefix = text(header.subarray(345, 500));
    const name = text(header.subarray(0, 100));
    const data = archive.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") longName = paxPath(data) ?? longName;
    else if (type === "L") longName = text(data);
    else {
      const path = longName ?? (prefix ? `${prefix}/${name}` : name);
      longName = undefined;
      if (type === "0" || type === "\0") files.push({ path, data });
    }
  }
  return files;
}

/** Gunzips `gz`, refusing more than `max` bytes out. */
export async function gunzip(gz: Uint8Array, max = MAX_ARTIFACT_BYTES): Promise<Uint8Array> {
  const stream = new Blob([gz as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > max) throw new Error(`artifact larger than ${max} bytes`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function normalisePath(path: string): string {
  return path.replace(/^\.\/?/, "").replace(/\/+$/, "");
}

/** The workloads declared in the YAML files under `path` (sorted by kind and name). */
export function workloadsIn(files: readonly TarFile[], path: string): Workload[] {
  const root = normalisePath(path);
  const found = new Map<string, Workload>();
  for (const f of files) {
    const p = normalisePath(f.path);
    if (root && p !== root && !p.startsWith(`${root}/`)) continue;
    if (!/\.ya?ml$/.test(p) || f.data.length > MAX_FILE_BYTES) continue;
    if (/(^|\/)kustomization\.ya?ml$/.test(p)) continue;
    for (const doc of parseAllDocuments(new TextDecoder().decode(f.data))) {
      if (doc.errors.length > 0) continue;
      const o = doc.toJS() as {
        apiVersion?: string;
        kind?: string;
        metadata?: { name?: string };
        spec?: { template?: { spec?: { containers?: { name?: string }[] } } };
      } | null;
      if (!o || typeof o !== "object" || !o.kind || !o.metadata?.name) continue;
      if (o.apiVersion !== "apps/v1") continue;
      const containers = (o.spec?.template?.spec?.containers ?? [])
        .map((c) => c?.name).filter((n): n is string => typeof n === "string");
      found.set(`${o.kind}/${o.metadata.name}`, {
        kind: o.kind,
        name: o.metadata.name,
        containers,
      });
    }
  }
  return [...found.values()].sort((a, b) => `${a.kind}/${a.name}` < `${b.kind}/${b.name}` ? -1 : 1);
}

/** True when the artifact has anything under `path`. */
export function hasPath(files: readonly TarFile[], path: string): boolean {
  const root = normalisePath(path);
  return !root || files.some((f) => normalisePath(f.path).startsWith(`${root}/`));
}

/** Fetches and unpacks an artifact URL (source-controller's storage). */
export async function fetchArtifact(url: string, signal?: AbortSignal): Promise<TarFile[]> {
  const res = await fetch(url, { signal });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${url}: HTTP ${res.status}`);
  }
  const length = Number(res.headers.get("content-length") ?? "0");
  if (length > MAX_ARTIFACT_BYTES) {
    await res.body?.cancel();
    throw new Error(`artifact ${url} is ${length} bytes (limit ${MAX_ARTIFACT_BYTES})`);
  }
  return untar(await gunzip(new Uint8Array(await res.arrayBuffer())));
}
