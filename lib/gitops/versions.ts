/**
 * Which Kubernetes and Flux versions the repository may ask for: the same rules (and
 * messages) as the LatticeCluster schema, the CRD and the operator (lib/api/validators.ts).
 */
import {
  fluxVersion,
  k8sVersion,
  MAX_K8S_MINOR,
  MIN_K8S_MINOR,
  versionStepProblem,
} from "../api/mod.ts";

export { MAX_K8S_MINOR, MIN_K8S_MINOR };

const k8s = k8sVersion("Kubernetes version");
const flux = fluxVersion("Flux version");

/** Why a Kubernetes version is not supported, or undefined when it is. */
export function k8sVersionProblem(version: string): string | undefined {
  return k8s.safeParse(version).error?.issues[0]?.message;
}

/** Why a Flux version is not valid, or undefined when it is. */
export function fluxVersionProblem(version: string): string | undefined {
  return flux.safeParse(version).error?.issues[0]?.message;
}

/**
 * Why upgrading Kubernetes from `from` to `to` is not allowed: the operator's and
 * `lattice validate`'s rule (no downgrades, one minor at a time), with their message.
 */
export function upgradeProblem(from: string, to: string): string | undefined {
  return versionStepProblem(to, from)?.message;
}

/**
 * A version as typed on the command line, in the form the repository stores: surrounding
 * blanks dropped and a leading `v` removed (`v1.33.0` → `1.33.0`), as kubectl and
 * clusterctl print versions with one. Files keep refusing the `v` (docs/adr/version-v-prefix.md).
 */
export function normalizeVersion(version: string): string {
  const trimmed = version.trim();
  return /^[vV][0-9]/.test(trimmed) ? trimmed.slice(1) : trimmed;
}
