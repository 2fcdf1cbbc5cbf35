/**
 * Air-gapped Cluster API: the provider components a child installs come from its parent,
 * never from the internet. A cell keeps the components it runs (the exact files clusterctl
 * installed, per provider and version) as ConfigMaps in lattice-system, labelled
 * `lattice.dev/capi-components`; the child bundle carries the ones the child needs; the
 * child's `lattice capi-init` writes them out as a clusterctl local repository and points
 * clusterctl's configuration at it (file:// URLs, cert-manager included), so `clusterctl
 * init` reads nothing from the network. A component the parent did not send is an error
 * naming it (and a condition on the LatticeCluster, see capi_init.ts).
 *
 * Files are split into chunks of at most {@linkcode CHUNK_BYTES} (a ConfigMap holds at most
 * 1 MiB; Cluster API's core components are larger).
 */
import { stringify } from "yaml";
import type { KubeObject } from "../kube/types.ts";

/** Label of every component ConfigMap: `<type>.<name>` (e.g. `infrastructure.aws`). */
export const COMPONENTS_LABEL = "lattice.dev/capi-components";
/** Largest chunk of a file in one ConfigMap (bytes of UTF-8 text). */
export const CHUNK_BYTES = 700 * 1024;

/** clusterctl's provider types, and cert-manager (which clusterctl installs first). */
export type ComponentType =
  | "core"
  | "bootstrap"
  | "control-plane"
  | "infrastructure"
  | "cert-manager";

/** One provider at one version: its components file, metadata.yaml, anything else. */
export interface ComponentSet {
  type: ComponentType;
  /** clusterctl's name (`cluster-api`, `kubeadm`, `aws`, `cert-manager`). */
  name: string;
  /** The released version, `v1.14.0`. */
  version: string;
  /** File name → content (e.g. `infrastructure-components.yaml`, `metadata.yaml`). */
  files: Record<string, string>;
}

/** clusterctl's label of a provider (the folder of a local repository). */
export function providerLabel(set: Pick<ComponentSet, "type" | "name">): string {
  if (set.type === "core" || set.type === "cert-manager") return set.name;
  return `${set.type}-${set.name}`;
}

/** The file clusterctl reads first for a set. */
export function componentsFile(set: Pick<ComponentSet, "type">): string {
  return set.type === "cert-manager" ? "cert-manager.yaml" : `${set.type}-components.yaml`;
}

function chunks(text: string): string[] {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= CHUNK_BYTES) return [text];
  const out: string[] = [];
  const decoder = new TextDecoder();
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + CHUNK_BYTES, bytes.length);
    // Never split a UTF-8 sequence: back off to a character boundary.
    while (end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
    out.push(decoder.decode(bytes.subarray(start, end)));
    start = end;
  }
  return out;
}

const DNS = /[^a-z0-9-]/g;

/** The ConfigMaps that carry `sets` in `namespace`. */
export function componentConfigMaps(
  sets: readonly ComponentSet[],
  namespace: string,
  labels: Record<string, string> = {},
): KubeObject[] {
  const out: KubeObject[] = [];
  for (const set of sets) {
    for (const [file, text] of Object.entries(set.files).sort(([a], [b]) => a.localeCompare(b))) {
      const parts = chunks(text);
      parts.forEach((part, i) => {
        const base = `capi-${providerLabel(set)}-${file.replace(/\.yaml$/, "")}`.toLowerCase()
          .replace(DNS, "-");
        out.push({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: `${base}-${i}`.slice(0, 253),
            namespace,
            labels: { ...labels, [COMPONENTS_LABEL]: `${set.type}.${set.name}` },
            annotations: {
              "lattice.dev/capi-component-version": set.version,
              "lattice.dev/capi-component-file": file,
              "lattice.dev/capi-component-chunk": `${i}/${parts.length}`,
            },
          },
          data: { content: part },
        } as KubeObject);
      });
    }
  }
  return out;
}

/** Reassembles sets from their ConfigMaps; a missing chunk or mixed versions is an error. */
export function componentSetsOf(configMaps: readonly KubeObject[]): ComponentSet[] {
  const sets = new Map<string, ComponentSet>();
  const parts = new Map<string, { total: number; chunks: Map<number, string> }>();
  for (const cm of configMaps) {
    const label = cm.metadata?.labels?.[COMPONENTS_LABEL];
    const a = cm.metadata?.annotations ?? {};
    const version = a["lattice.dev/capi-component-version"];
    const file = a["lattice.dev/capi-component-file"];
    const [index, total] = (a["lattice.dev/capi-component-chunk"] ?? "").split("/").map(Number);
    const content = (cm as { data?: Record<string, string> }).data?.content;
    const dot = label?.indexOf(".") ?? -1;
    if (!label || dot < 0 || !version || !file || !(total > 0) || content === undefined) {
      throw new Error(`ConfigMap ${cm.metadata?.name} is not a complete component chunk`);
    }
    const type = label.slice(0, dot) as ComponentType;
    const name = label.slice(dot + 1);
    const key = `${type}.${name}`;
    const set = sets.get(key) ?? { type, name, version, files: {} };
    if (set.version !== version) {
      throw new Error(`Components of ${key} come in two versions: ${set.version} and ${version}`);
    }
    sets.set(key, set);
    const fileKey = `${key}/${file}`;
    const p = parts.get(fileKey) ?? { total, chunks: new Map() };
    p.chunks.set(index, content);
    parts.set(fileKey, p);
  }
  for (const [fileKey, p] of parts) {
    const slash = fileKey.indexOf("/");
    const set = sets.get(fileKey.slice(0, slash))!;
    const file = fileKey.slice(slash + 1);
    const texts: string[] = [];
    for (let i = 0; i < p.total; i++) {
      const chunk = p.chunks.get(i);
      if (chunk === undefined) {
        throw new Error(
          `Components of ${set.type}.${set.name}: ${file} lacks chunk ${i + 1}/${p.total}`,
        );
      }
      texts.push(chunk);
    }
    set.files[file] = texts.join("");
  }
  return [...sets.values()].sort((a, b) =>
    `${a.type}.${a.name}`.localeCompare(`${b.type}.${b.name}`)
  );
}

/** A provider clusterctl must install. */
export interface WantedComponent {
  type: Exclude<ComponentType, "cert-manager">;
  name: string;
}

/** What of `wanted` (and cert-manager) `sets` lacks: `type name` lines. */
export function missingComponents(
  sets: readonly ComponentSet[],
  wanted: readonly WantedComponent[],
): string[] {
  const has = (type: string, name: string) =>
    sets.some((s) =>
      s.type === type && s.name === name && componentsFile(s) in s.files &&
      (s.type === "cert-manager" || "metadata.yaml" in s.files)
    );
  const missing = wanted.filter((w) => !has(w.type, w.name)).map((w) => `${w.type} ${w.name}`);
  if (!sets.some((s) => s.type === "cert-manager")) missing.push("cert-manager");
  return missing;
}

/** Writes `sets` as a clusterctl local repository under `dir`; returns the config YAML. */
export async function writeLocalRepository(
  dir: string,
  sets: readonly ComponentSet[],
  variables: Record<string, string> = {},
): Promise<{ configPath: string; config: string }> {
  const providers: { name: string; type: string; url: string }[] = [];
  let certManager: { url: string; version: string } | undefined;
  for (const set of sets) {
    const folder = `${dir}/${providerLabel(set)}/${set.version}`;
    await Deno.mkdir(folder, { recursive: true });
    for (const [file, text] of Object.entries(set.files)) {
      await Deno.writeTextFile(`${folder}/${file}`, text);
    }
    const url = `file://${folder}/${componentsFile(set)}`;
    if (set.type === "cert-manager") certManager = { url, version: set.version };
    else providers.push({ name: set.name, type: CLUSTERCTL_TYPES[set.type], url });
  }
  const config = stringify({
    providers,
    ...(certManager ? { "cert-manager": certManager } : {}),
    ...variables,
  }, { lineWidth: 0 });
  const configPath = `${dir}/clusterctl.yaml`;
  // The variables may hold credentials: readable by this process's user only.
  await Deno.writeTextFile(configPath, config, { mode: 0o600 });
  return { configPath, config };
}

const CLUSTERCTL_TYPES: Record<Exclude<ComponentType, "cert-manager">, string> = {
  core: "CoreProvider",
  bootstrap: "BootstrapProvider",
  "control-plane": "ControlPlaneProvider",
  infrastructure: "InfrastructureProvider",
};
