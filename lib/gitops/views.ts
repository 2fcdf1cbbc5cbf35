/**
 * What the read commands show: cluster rows and details, registrations and placements,
 * each as plain data (for --output json|yaml) and as the spec's table layouts.
 */
import { isCellSpec, type ProviderConfig, providerOf } from "../api/mod.ts";
import { type ClusterNode, lineage } from "./hierarchy.ts";
import type { LoadedCluster, LoadedFile, Repo } from "./repo.ts";
import { resourceName } from "./repo.ts";

/** One row of `cluster list`. */
export interface ClusterSummary {
  name: string;
  /** Parent cluster's name; absent on the root. */
  parent?: string;
  provider?: string;
  /** Region or location when the provider has one. */
  region?: string;
  kubernetesVersion?: string;
  controlPlane?: number;
  workers?: number;
  cell: boolean;
  flux?: { version?: string; interval?: string; suspend?: boolean };
  /** Repo-relative cluster.yaml. */
  path: string;
}

type RawCluster = {
  spec?: {
    provider?: { kubernetes?: { version?: unknown }; config?: Record<string, unknown> };
    nodes?: { controlPlane?: unknown; workers?: unknown };
    cell?: unknown;
    flux?: ClusterSummary["flux"];
  };
};

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const num = (v: unknown) => (typeof v === "number" ? v : undefined);

/** Summarizes a cluster from its (possibly invalid) document. */
export function summarizeCluster(node: ClusterNode, file: LoadedFile | undefined): ClusterSummary {
  const spec = (file?.value as RawCluster | undefined)?.spec ?? {};
  const config = spec.provider?.config;
  let provider: string | undefined;
  let region: string | undefined;
  if (config && typeof config === "object" && Object.keys(config).length === 1) {
    provider = providerOf(config as ProviderConfig);
    const settings = (config[provider] ?? {}) as Record<string, unknown>;
    region = str(settings.region) ?? str(settings.location);
  }
  const summary: ClusterSummary = {
    name: node.name,
    parent: node.parent?.name,
    provider,
    region,
    kubernetesVersion: str(spec.provider?.kubernetes?.version),
    controlPlane: num(spec.nodes?.controlPlane),
    workers: num(spec.nodes?.workers),
    cell: isCellSpec(spec),
    path: file?.path ?? `${node.dir}/cluster.yaml`,
  };
  if (spec.flux) summary.flux = spec.flux;
  return summary;
}

/** Summaries of every cluster in hierarchy order. */
export function clusterSummaries(repo: Repo): ClusterSummary[] {
  return repo.clusters.filter((c) => c.file).map((c) => summarizeCluster(c.node, c.file));
}

/** `cluster get` as text. */
export function renderClusterDetail(s: ClusterSummary): string {
  const lines = [
    `Name:         ${s.name}`,
    `Parent:       ${s.parent ?? "-"}`,
    `Provider:     ${s.provider ?? "-"}${s.region ? ` (${s.region})` : ""}`,
    `K8s Version:  ${s.kubernetesVersion ?? "-"}`,
    "Nodes:",
    `  Control Plane: ${s.controlPlane ?? "-"}`,
    `  Workers:       ${s.workers ?? "-"}`,
  ];
  if (s.cell) lines.push("Cell:         yes");
  if (s.flux) {
    const parts = [s.flux.version, s.flux.interval && `every ${s.flux.interval}`];
    if (s.flux.suspend) parts.push("suspended");
    lines.push(`Flux:         ${parts.filter(Boolean).join(", ") || "inherited"}`);
  }
  lines.push(`Path:         ${s.path}`);
  return lines.join("\n");
}

/** One registration as `service list` shows it. */
export interface RegistrationSummary {
  name: string;
  /** The cluster whose registrations/ holds it. */
  scope: string;
  url?: string;
  gitPath?: string;
  branch?: string;
  tag?: string;
  defaultReplicas?: number;
  path: string;
}

type RawRegistration = {
  spec?: {
    source?: { git?: { url?: unknown; path?: unknown; branch?: unknown; tag?: unknown } };
    defaults?: { replicas?: unknown };
  };
};

/** Summarizes a registration file. */
export function summarizeRegistration(scope: string, file: LoadedFile): RegistrationSummary {
  const spec = (file.value as RawRegistration | undefined)?.spec;
  const git = spec?.source?.git;
  return {
    name: resourceName(file.path),
    scope,
    url: str(git?.url),
    gitPath: str(git?.path),
    branch: str(git?.branch),
    tag: str(git?.tag),
    defaultReplicas: num(spec?.defaults?.replicas),
    path: file.path,
  };
}

/** The registrations visible from a cluster: its own first, then its ancestors'. */
export function visibleRegistrations(
  clusters: Map<ClusterNode, LoadedCluster>,
  node: ClusterNode,
): RegistrationSummary[] {
  const seen = new Set<string>();
  const out: RegistrationSummary[] = [];
  for (const scope of lineage(node)) {
    for (const f of clusters.get(scope)?.registrations ?? []) {
      const r = summarizeRegistration(scope.name, f);
      if (!seen.has(r.name)) out.push(r);
      seen.add(r.name);
    }
  }
  return out;
}

/** `github.com/acme/payments` from `https://github.com/acme/payments(.git)`. */
export function shortUrl(url: string | undefined): string {
  if (!url) return "-";
  return url.replace(/^[a-z+]+:\/\//, "").replace(/^git@([^:]+):/, "$1/").replace(/\.git$/, "");
}

/** One placement as `placement list` shows it. */
export interface PlacementSummary {
  service: string;
  ref?: string;
  /** The tag or branch deployed: the override, else the registration's. */
  tagOrBranch?: string;
  replicas?: number;
  env?: Record<string, string>;
  path: string;
}

type RawPlacement = {
  spec?: {
    serviceRef?: unknown;
    sourceOverride?: { tag?: unknown; branch?: unknown };
    overrides?: { replicas?: unknown; env?: Record<string, string> };
  };
};

/** Summarizes a placement, filling gaps from the registration it resolves to. */
export function summarizePlacement(
  file: LoadedFile,
  registrations: readonly RegistrationSummary[],
): PlacementSummary {
  const spec = (file.value as RawPlacement | undefined)?.spec;
  const ref = str(spec?.serviceRef);
  const reg = registrations.find((r) => r.name === ref);
  return {
    service: resourceName(file.path),
    ref,
    tagOrBranch: str(spec?.sourceOverride?.tag) ?? str(spec?.sourceOverride?.branch) ??
      reg?.tag ?? reg?.branch,
    replicas: num(spec?.overrides?.replicas) ?? reg?.defaultReplicas ?? 1,
    env: spec?.overrides?.env,
    path: file.path,
  };
}
