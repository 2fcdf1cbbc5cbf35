/**
 * A resolved placement as Flux objects, in the service's namespace (named after the
 * placement):
 *
 * - GitRepository `<name>`: follows the effective branch or tag (the candidate);
 * - GitRepository `<name>-applied`: pinned to the commit the controller checked;
 * - Kustomization `<name>`: applies `<name>-applied` with one patch per workload carrying the
 *   merged defaults + overrides (replicas, resources, env), pruning what the revision drops.
 *
 * The candidate lets the controller look at a revision before Flux applies it, so a revision
 * the overrides do not fit never replaces the one running (docs/placements.md).
 */
import { stringify } from "yaml";
import { GIT_REPOSITORY_REF, KUSTOMIZATION_REF } from "../../flux/names.ts";
import type { KubeObject } from "../../kube/mod.ts";
import type { Workload } from "./artifact.ts";
import type { FieldProblem } from "./validate.ts";
import { fluxGitUrl } from "./validate.ts";

/** Label on every object the placement controller writes. */
export const PLACEMENT_LABEL = "lattice.dev/placement";
/** Label marking a namespace the placement controller created (and so may delete). */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** Its value. */
export const PLACEMENT_MANAGER = "lattice-placement";
/** Annotation of the pinned GitRepository: the candidate's revision (`v1.0.0@sha1:…`). */
export const REVISION_ANNOTATION = "lattice.dev/revision";
/** Suffix of the pinned GitRepository. */
export const APPLIED_SUFFIX = "-applied";

/** Compute resources: requests and limits by resource name. */
export interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

/** Replicas, resources and env (a registration's defaults or a placement's overrides). */
export interface Settings {
  replicas?: number;
  resources?: Resources;
  env?: Record<string, string>;
}

/** The git source of a registration. */
export interface GitSource {
  url: string;
  path?: string;
  branch?: string;
  tag?: string;
}

/** The source a placement deploys. */
export interface EffectiveSource {
  url: string;
  path: string;
  branch?: string;
  tag?: string;
}

/** Overrides win field by field; resource quantities and env merge by name. */
export function mergeSettings(defaults: Settings = {}, overrides: Settings = {}): Settings {
  const out: Settings = {};
  const replicas = overrides.replicas ?? defaults.replicas;
  if (replicas !== undefined) out.replicas = replicas;
  const requests = { ...defaults.resources?.requests, ...overrides.resources?.requests };
  const limits = { ...defaults.resources?.limits, ...overrides.resources?.limits };
  if (Object.keys(requests).length + Object.keys(limits).length > 0) {
    out.resources = {};
    if (Object.keys(requests).length > 0) out.resources.requests = requests;
    if (Object.keys(limits).length > 0) out.resources.limits = limits;
  }
  const env = { ...defaults.env, ...overrides.env };
  if (Object.keys(env).length > 0) out.env = env;
  return out;
}

/** The registration's source with the placement's `sourceOverride` winning. */
export function effectiveSource(
  git: GitSource,
  override?: { branch?: string; tag?: string },
): EffectiveSource {
  const ref = override?.branch !== undefined || override?.tag !== undefined
    ? override
    : { branch: git.branch, tag: git.tag };
  const out: EffectiveSource = { url: git.url, path: git.path ?? "./" };
  if (ref?.tag !== undefined) out.tag = ref.tag;
  else if (ref?.branch !== undefined) out.branch = ref.branch;
  return out;
}

/** Kinds whose pod template the overrides reach, and which of them have replicas. */
const TEMPLATED = new Set(["Deployment", "StatefulSet", "DaemonSet"]);
const SCALABLE = new Set(["Deployment", "StatefulSet"]);

/** One kustomize patch of a Flux Kustomization. */
export interface KustomizePatch {
  patch: string;
  target: { group: string; version: string; kind: string; name: string };
}

/**
 * A strategic-merge patch per workload of the revision; a problem per override the
 * revision has nothing for (replicas without a Deployment or StatefulSet; resources or env
 * without any workload).
 */
export function workloadPatches(
  settings: Settings,
  workloads: readonly Workload[],
): { patches: KustomizePatch[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const templated = workloads.filter((w) => TEMPLATED.has(w.kind));
  const have = workloads.length === 0
    ? "it has no workload"
    : `it has ${workloads.map((w) => `${w.kind}/${w.name}`).join(", ")}`;
  if (settings.replicas !== undefined && !templated.some((w) => SCALABLE.has(w.kind))) {
    problems.push({
      field: "replicas",
      message: `the service has no Deployment or StatefulSet to scale (${have})`,
    });
  }
  for (const k of ["resources", "env"] as const) {
    if (settings[k] !== undefined && !templated.some((w) => w.containers.length > 0)) {
      problems.push({ field: k, message: `the service has no workload with containers (${have})` });
    }
  }
  if (problems.length > 0) return { patches: [], problems };
  const patches = templated.map((w): KustomizePatch => {
    const spec: Record<string, unknown> = {};
    if (settings.replicas !== undefined && SCALABLE.has(w.kind)) spec.replicas = settings.replicas;
    if (settings.resources || settings.env) {
      spec.template = {
        spec: {
          containers: w.containers.map((name) => ({
            name,
            ...(settings.resources ? { resources: settings.resources } : {}),
            ...(settings.env
              ? { env: Object.entries(settings.env).map(([n, value]) => ({ name: n, value })) }
              : {}),
          })),
        },
      };
    }
    return {
      patch: stringify({
        apiVersion: "apps/v1",
        kind: w.kind,
        metadata: { name: w.name },
        spec,
      }, { lineWidth: 0 }),
      target: { group: "apps", version: "v1", kind: w.kind, name: `^${w.name}$` },
    };
  }).filter((p) => !/^spec: \{\}$/m.test(p.patch));
  return { patches, problems };
}

function labels(placement: string, extra?: Record<string, string>): Record<string, string> {
  return { ...extra, [PLACEMENT_LABEL]: placement, [MANAGED_BY_LABEL]: PLACEMENT_MANAGER };
}

function ref(source: EffectiveSource): Record<string, string> {
  return source.tag !== undefined ? { tag: source.tag } : { branch: source.branch ?? "main" };
}

/** Options of the rendered Flux objects. */
export interface RenderOptions {
  /** Source and apply interval; default 1m (a spec change still applies at once). */
  interval?: string;
  /** Secret with the git credentials, in the service's namespace. */
  secretName?: string;
  /** More labels on every object written. */
  labels?: Record<string, string>;
}

/** The candidate GitRepository (follows the branch or tag). */
export function candidateRepository(
  name: string,
  namespace: string,
  source: EffectiveSource,
  options: RenderOptions = {},
): KubeObject {
  return {
    apiVersion: `${GIT_REPOSITORY_REF.group}/${GIT_REPOSITORY_REF.version}`,
    kind: GIT_REPOSITORY_REF.kind,
    metadata: { name, namespace, labels: labels(name, options.labels) },
    spec: {
      url: fluxGitUrl(source.url) ?? source.url,
      ref: ref(source),
      interval: options.interval ?? "1m",
      ...(options.secretName ? { secretRef: { name: options.secretName } } : {}),
    },
  };
}

/** The commit of a Flux revision (`v1.0.0@sha1:abc…`, `main@sha1:abc…`, or a bare SHA). */
export function commitOf(revision: string): string | undefined {
  const m = /(?:^|@)(?:sha1|sha256):([0-9a-f]{40,64})$/.exec(revision) ??
    /^([0-9a-f]{40,64})$/.exec(revision);
  return m?.[1];
}

/**
 * The revision to show for what a Kustomization applied from the pinned repository: Flux
 * names a commit checkout by its SHA only, the candidate's revision carries the tag or branch.
 */
export function shownRevision(
  applied: string | undefined,
  pinned: KubeObject | undefined,
): string | undefined {
  const named = pinned?.metadata?.annotations?.[REVISION_ANNOTATION];
  if (!applied || !named) return applied;
  return commitOf(applied) !== undefined && commitOf(applied) === commitOf(named) ? named : applied;
}

/** The pinned GitRepository the Kustomization applies. */
export function appliedRepository(
  name: string,
  namespace: string,
  source: EffectiveSource,
  commit: string,
  options: RenderOptions & { revision?: string } = {},
): KubeObject {
  const candidate = candidateRepository(name, namespace, source, options);
  const spec = candidate.spec as Record<string, unknown>;
  return {
    ...candidate,
    metadata: {
      ...candidate.metadata,
      name: name + APPLIED_SUFFIX,
      annotations: { [REVISION_ANNOTATION]: options.revision ?? commit },
    },
    spec: {
      ...spec,
      ref: source.tag !== undefined ? { commit } : { branch: source.branch ?? "main", commit },
    },
  };
}

/** The Kustomization applying the pinned revision with the patches. */
export function placementKustomization(
  name: string,
  namespace: string,
  source: EffectiveSource,
  patches: readonly KustomizePatch[],
  options: RenderOptions = {},
): KubeObject {
  const path = source.path.startsWith("./") || source.path === "."
    ? source.path
    : `./${source.path}`;
  return {
    apiVersion: `${KUSTOMIZATION_REF.group}/${KUSTOMIZATION_REF.version}`,
    kind: KUSTOMIZATION_REF.kind,
    metadata: { name, namespace, labels: labels(name, options.labels) },
    spec: {
      interval: options.interval ?? "1m",
      sourceRef: { kind: GIT_REPOSITORY_REF.kind, name: name + APPLIED_SUFFIX },
      path,
      prune: true,
      wait: false,
      timeout: "2m",
      targetNamespace: namespace,
      patches: patches.map((p) => ({ patch: p.patch, target: p.target })),
    },
  };
}
