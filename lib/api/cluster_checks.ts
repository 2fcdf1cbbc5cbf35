/**
 * The one validation of a LatticeCluster that the operator and `lattice validate` both
 * call: the schema with its rules (what the CRD also enforces), then what needs context —
 * the cellRef names a known cluster and no loop, the spec against what runs now, the
 * immutable fields against the previous spec. The operator passes its informer cache and
 * the object's status as context; the CLI passes the repository.
 */
import {
  PROVIDER_CHANGED_MESSAGE,
  SPEC_TRANSITION_RULES,
  type SpecTransitionValue,
} from "./cluster_rules.ts";
import { PROVIDERS } from "./providers.ts";
import { LatticeClusterSchema } from "./lattice_cluster.ts";
import { ruleOf } from "./rules.ts";
import { compareSemver, formatPath, SEMVER } from "./validators.ts";

/** One thing wrong with a spec: the rule (a CamelCase reason), the field, what to do. */
export interface SpecProblem {
  /** The rule's id; the operator's condition and Event reason. */
  reason: string;
  /** The field, Kubernetes style (`spec.nodes.controlPlane`); unset for the whole object. */
  field?: string;
  /** What is wrong and what would be valid. */
  message: string;
}

/** The field of a problem as path segments (`spec.a[0].b` → spec, a, 0, b). */
export function problemPath(problem: SpecProblem): (string | number)[] {
  if (!problem.field) return [];
  return problem.field.split(/\.|(?=\[)/).map((part) =>
    part.startsWith("[") ? Number(part.slice(1, -1)) : part
  );
}

/** Reason of a schema problem that no named rule raised (type, required, enum, ...). */
export const SCHEMA_REASON = "InvalidSpec";

/** `field: message`, the way every layer prints a problem. */
export function problemText(problem: SpecProblem): string {
  return problem.field ? `${problem.field}: ${problem.message}` : problem.message;
}

/** What a cluster is checked against besides itself. Every part is optional. */
export interface ClusterContext {
  /** Whether a LatticeCluster of that name is known; unset skips the cellRef lookup. */
  clusterExists?: (name: string) => boolean;
  /** The cellRef of a known cluster, to find loops; unset skips the loop check. */
  cellRefOf?: (name: string) => string | undefined;
  /** The parent this cluster must name: set when a cellRef is required here. */
  expectedParent?: string;
  /**
   * What runs now (the operator's status; the CLI's committed spec): the version may not go
   * back or skip minors, the provider may not change.
   */
  running?: { kubernetesVersion?: string; provider?: string };
  /** The spec as stored before this change, for the immutable fields. */
  previous?: unknown;
}

/** Every problem of `doc` (a LatticeCluster document), in a stable order; empty when valid. */
export function clusterProblems(doc: unknown, context: ClusterContext = {}): SpecProblem[] {
  const result = LatticeClusterSchema.safeParse(doc);
  const problems: SpecProblem[] = result.success ? [] : result.error.issues.map((issue) => {
    const field = formatPath(issue.path);
    return {
      reason: ruleOf(issue) ?? SCHEMA_REASON,
      ...(field ? { field } : {}),
      message: issue.message,
    };
  });
  const value = (doc ?? {}) as { metadata?: { name?: unknown }; spec?: Record<string, unknown> };
  const name = typeof value.metadata?.name === "string" ? value.metadata.name : undefined;
  const spec = value.spec ?? {};
  problems.push(...cellRefProblems(name, spec.cellRef, context));
  const version = (spec.provider as { kubernetes?: { version?: unknown } } | undefined)
    ?.kubernetes?.version;
  if (typeof version === "string") problems.push(...versionProblems(version, context));
  if (result.success) {
    const running = context.running?.provider;
    const config = result.data.spec.provider.config as Record<string, unknown>;
    if (running && PROVIDERS.some((p) => p === running) && config[running] === undefined) {
      problems.push({
        reason: "ProviderChanged",
        field: "spec.provider.config",
        message: PROVIDER_CHANGED_MESSAGE,
      });
    }
    if (context.previous !== undefined) {
      problems.push(...transitionProblems(context.previous, result.data.spec));
    }
  }
  return dedupe(problems);
}

/**
 * Problems of changing `previous` (a stored spec) into `next`: the same transition rules
 * the CRD enforces with `oldSelf`. A previous spec that does not parse is not compared.
 */
export function transitionProblems(previous: unknown, next: unknown): SpecProblem[] {
  const old = LatticeClusterSchema.shape.spec.safeParse(previous);
  const now = LatticeClusterSchema.shape.spec.safeParse(next);
  if (!old.success || !now.success) return [];
  const [o, n] = [old.data as SpecTransitionValue, now.data as SpecTransitionValue];
  return SPEC_TRANSITION_RULES.filter((rule) => !rule.test(n, o)).map((rule) => ({
    reason: rule.id,
    field: ["spec", ...(rule.field ?? [])].join("."),
    message: rule.message,
  }));
}

function cellRefProblems(
  name: string | undefined,
  cellRef: unknown,
  context: ClusterContext,
): SpecProblem[] {
  const field = "spec.cellRef";
  const expected = context.expectedParent;
  const hint = expected === undefined ? "" : ` ("${expected}")`;
  if (cellRef === undefined) {
    return expected === undefined ? [] : [{
      reason: "MissingCellRef",
      field,
      message: `is not set: set it to the parent cell's name${hint}`,
    }];
  }
  if (typeof cellRef !== "string" || cellRef === name) return []; // the schema's rules say why
  if (cellRef !== expected && context.clusterExists && !context.clusterExists(cellRef)) {
    return [{
      reason: "UnknownCellRef",
      field,
      message: `names "${cellRef}", which is not a known cluster: set it to the parent ` +
        `cell's name${hint}`,
    }];
  }
  const loop = name === undefined ? undefined : cellRefLoop(name, cellRef, context.cellRefOf);
  return loop ? [cellRefLoopProblem(loop)] : [];
}

/** The problem of a cellRef loop, e.g. `a → b → a`. */
export function cellRefLoopProblem(loop: readonly string[]): SpecProblem {
  return {
    reason: "CellRefLoop",
    field: "spec.cellRef",
    message: `forms a loop (${loop.join(" → ")}): following cellRefs must end at the ` +
      "root cluster, which has none",
  };
}

/**
 * The loop `name → cellRef → ...` closes, starting and ending at `name`, when following
 * `cellRefOf` from `cellRef` comes back to `name`; undefined otherwise.
 */
export function cellRefLoop(
  name: string,
  cellRef: string,
  cellRefOf: ((name: string) => string | undefined) | undefined,
): string[] | undefined {
  if (!cellRefOf) return undefined;
  const chain = [name];
  let at: string | undefined = cellRef;
  while (at !== undefined && !chain.includes(at)) {
    chain.push(at);
    at = cellRefOf(at);
  }
  return at === name ? [...chain, name] : undefined;
}

const semver = new RegExp(SEMVER);
const minorOf = (v: string) => v.replace(/^v/, "").split(".").map(Number);

function versionProblems(desired: string, context: ClusterContext): SpecProblem[] {
  const running = context.running?.kubernetesVersion;
  const problem = running ? versionStepProblem(desired, running) : undefined;
  return problem ? [problem] : [];
}

/**
 * Why Kubernetes cannot go from `running` to `desired`: no downgrade, no skipped minor
 * (kubeadm and RKE2 upgrade one minor at a time). Undefined when the step is allowed or
 * `desired` is not a version (another rule says so).
 */
export function versionStepProblem(desired: string, running: string): SpecProblem | undefined {
  if (!semver.test(desired)) return undefined;
  const field = "spec.provider.kubernetes.version";
  if (compareSemver(desired, running) < 0) {
    return {
      reason: "VersionDowngrade",
      field,
      message: `is older than the running ${running}: Kubernetes cannot be downgraded; set ` +
        `it to ${running} or newer`,
    };
  }
  const [dMajor, dMinor] = minorOf(desired);
  const [rMajor, rMinor] = minorOf(running);
  if (dMajor !== rMajor || dMinor > rMinor + 1) {
    return {
      reason: "VersionSkew",
      field,
      message: `skips minor versions from the running ${running}: upgrade one minor ` +
        `version at a time (next: ${rMajor}.${rMinor + 1}.x)`,
    };
  }
  return undefined;
}

function dedupe(problems: SpecProblem[]): SpecProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = problemText(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
