/**
 * Which Kubernetes and Flux versions the repository may ask for.
 */
import { SEMVER } from "../api/mod.ts";

/** Oldest Kubernetes minor Lattice provisions (1.x). */
export const MIN_K8S_MINOR = 29;
/** Newest Kubernetes minor Lattice provisions (1.x). */
export const MAX_K8S_MINOR = 36;

const semverPattern = new RegExp(SEMVER);

function parts(version: string): number[] | undefined {
  if (!semverPattern.test(version)) return undefined;
  return version.replace(/^v/, "").split(/[-+]/)[0].split(".").map(Number);
}

/** Why a Kubernetes version is not supported, or undefined when it is. */
export function k8sVersionProblem(version: string): string | undefined {
  const p = parts(version);
  if (!p) return "must be a semantic version like 1.31.0";
  if (p[0] !== 1 || p[1] < MIN_K8S_MINOR || p[1] > MAX_K8S_MINOR) {
    return `${version} is not supported (supported: 1.${MIN_K8S_MINOR} to 1.${MAX_K8S_MINOR})`;
  }
  return undefined;
}

/** Why a Flux version is not valid, or undefined when it is. */
export function fluxVersionProblem(version: string): string | undefined {
  const p = parts(version);
  if (!p) return "must be a semantic version like 2.3.0";
  if (p[0] !== 2) return `${version} is not a Flux v2 release (must be 2.x.y)`;
  return undefined;
}

/**
 * Why upgrading Kubernetes from `from` to `to` is not allowed: no downgrades, and no
 * skipping minors (kubeadm and rke2 upgrade one minor at a time).
 */
export function upgradeProblem(from: string, to: string): string | undefined {
  const [a, b] = [parts(from), parts(to)];
  if (!a || !b) return undefined;
  const cmp = a[1] !== b[1] ? b[1] - a[1] : b[2] - a[2];
  if (a[0] !== b[0] || cmp < 0) return `${to} is older than the current ${from}`;
  if (b[1] - a[1] > 1) return `${from} → ${to} skips a minor version; upgrade one minor at a time`;
  return undefined;
}
