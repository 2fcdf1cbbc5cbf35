/**
 * Which Kubernetes and Flux versions the repository may ask for: the same rules (and
 * messages) as the LatticeCluster schema, the CRD and the operator (lib/api/validators.ts).
 */
import { fluxVersion, k8sVersion, MAX_K8S_MINOR, MIN_K8S_MINOR, SEMVER } from "../api/mod.ts";

export { MAX_K8S_MINOR, MIN_K8S_MINOR };

const semverPattern = new RegExp(SEMVER);
const k8s = k8sVersion("Kubernetes version");
const flux = fluxVersion("Flux version");

function parts(version: string): number[] | undefined {
  if (!semverPattern.test(version)) return undefined;
  return version.split(/[-+]/)[0].split(".").map(Number);
}

/** Why a Kubernetes version is not supported, or undefined when it is. */
export function k8sVersionProblem(version: string): string | undefined {
  return k8s.safeParse(version).error?.issues[0]?.message;
}

/** Why a Flux version is not valid, or undefined when it is. */
export function fluxVersionProblem(version: string): string | undefined {
  return flux.safeParse(version).error?.issues[0]?.message;
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
