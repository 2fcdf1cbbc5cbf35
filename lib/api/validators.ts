/**
 * Reusable zod building blocks for Kubernetes-shaped APIs: names, versions, CIDRs,
 * durations, certificate SANs, and the formatting of validation issues into
 * `path: message` lines.
 *
 * String formats are {@linkcode Rule}s: the same RE2-compatible regex runs in zod and, as
 * CEL `self.matches(...)` in the generated CRD, on the apiserver, with the same message.
 * Every such string has a maximum length, which also bounds the rules' CEL cost.
 */
import { z } from "zod";
import { CIDR, IP } from "./ip.ts";
import { celString, type Rule, withRules } from "./rules.ts";

export { CIDR, isValidCidr } from "./ip.ts";

/** DNS-1123 label: lowercase alphanumerics and '-', start and end alphanumeric, ≤ 63. */
export const DNS1123_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
/** DNS-1123 subdomain, optionally a wildcard (`*.example.com`), as a certificate SAN. */
export const DNS_NAME = `^(\\*\\.)?${LABEL}(\\.${LABEL})*$`;

/** Semantic version MAJOR.MINOR.PATCH with optional pre-release and build; no leading `v`. */
export const SEMVER =
  "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$";

/** Go duration as Flux and Kubernetes accept it, e.g. `1m`, `5m30s`, `1h`. */
export const DURATION = "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$";

/** Oldest Kubernetes minor Lattice provisions (1.x). */
export const MIN_K8S_MINOR = 29;
/** Newest Kubernetes minor Lattice provisions (1.x). */
export const MAX_K8S_MINOR = 36;

const minors = Array.from(
  { length: MAX_K8S_MINOR - MIN_K8S_MINOR + 1 },
  (_, i) => MIN_K8S_MINOR + i,
);
/** Versions of a supported Kubernetes minor (checked after {@linkcode SEMVER}). */
export const SUPPORTED_K8S = `^1\\.(${minors.join("|")})\\.`;
/** Flux 2.x versions (checked after {@linkcode SEMVER}). */
export const FLUX2 = "^2\\.";

/** Longest version string accepted. */
export const MAX_VERSION_LENGTH = 64;

/** A rule that `self` (a string) matches `regex`. */
export function matchRule(id: string, regex: string, message: string): Rule<string> {
  const re = new RegExp(regex);
  return { id, cel: `self.matches(${celString(regex)})`, test: (s) => re.test(s), message };
}

/**
 * A rule that a string already matching `guard` also matches `regex`; values not matching
 * `guard` pass (another rule reports them), so a value gets one message, not two.
 */
function guardedRule(id: string, guard: string, regex: string, message: string): Rule<string> {
  const [g, re] = [new RegExp(guard), new RegExp(regex)];
  return {
    id,
    cel: `!self.matches(${celString(guard)}) || self.matches(${celString(regex)})`,
    test: (s) => !g.test(s) || re.test(s),
    message,
  };
}

/** Message of a malformed version. */
export const VERSION_MESSAGE =
  "must be a version like 1.31.0 (MAJOR.MINOR.PATCH, digits only, without a leading v)";
const versionRule = matchRule("InvalidVersion", SEMVER, VERSION_MESSAGE);

/** Message of an unsupported Kubernetes version. */
export const K8S_VERSION_MESSAGE = `must be a supported Kubernetes version, 1.${MIN_K8S_MINOR}.x ` +
  `to 1.${MAX_K8S_MINOR}.x (e.g. 1.${MAX_K8S_MINOR - 1}.0)`;
/** Message of a Flux version that is not 2.x. */
export const FLUX_VERSION_MESSAGE = "must be a Flux 2.x release like 2.3.0";

const CIDR_MESSAGE = "must be a CIDR like 10.0.0.0/16 or fd00::/64 (IPv6 in hexadecimal form)";
const LABEL_MESSAGE =
  "must be a lowercase DNS-1123 label: a-z, 0-9 and '-', starting and ending with a letter or digit";

const bounded = (max: number) => z.string().max(max, `must be no more than ${max} characters`);

/** A DNS-1123 label string schema. */
export function dnsLabel(description: string): z.ZodString {
  return withRules(bounded(63), [matchRule("InvalidName", DNS1123_LABEL, LABEL_MESSAGE)])
    .describe(description);
}

/** A semantic version string schema (no leading `v`, see docs/adr/version-v-prefix.md). */
export function semver(description: string): z.ZodString {
  return withRules(bounded(MAX_VERSION_LENGTH), [versionRule]).describe(description);
}

/** A Kubernetes version Lattice provisions: a semantic version of a supported minor. */
export function k8sVersion(description: string): z.ZodString {
  return withRules(bounded(MAX_VERSION_LENGTH), [
    versionRule,
    guardedRule("UnsupportedKubernetesVersion", SEMVER, SUPPORTED_K8S, K8S_VERSION_MESSAGE),
  ]).describe(description);
}

/** A Flux version: a semantic version of Flux 2. */
export function fluxVersion(description: string): z.ZodString {
  return withRules(bounded(MAX_VERSION_LENGTH), [
    versionRule,
    guardedRule("UnsupportedFluxVersion", SEMVER, FLUX2, FLUX_VERSION_MESSAGE),
  ]).describe(description);
}

/** A CIDR string schema (IPv4 or hexadecimal IPv6). */
export function cidr(description: string): z.ZodString {
  return withRules(bounded(64), [matchRule("InvalidCIDR", CIDR, CIDR_MESSAGE)])
    .describe(description);
}

/** A Go-style duration string schema. */
export function duration(description: string): z.ZodString {
  return withRules(bounded(32), [
    matchRule("InvalidDuration", DURATION, "must be a duration like 30s, 5m or 1h"),
  ]).describe(description);
}

/** A certificate Subject Alternative Name: a DNS name (wildcard allowed) or an IP address. */
export function certSan(description: string): z.ZodString {
  const [dns, ip] = [new RegExp(DNS_NAME), new RegExp(IP)];
  return withRules(bounded(253), [{
    id: "InvalidCertSAN",
    cel: `self.matches(${celString(DNS_NAME)}) || self.matches(${celString(IP)})`,
    test: (s) => dns.test(s) || ip.test(s),
    message: "must be a lowercase DNS name (e.g. api.example.com or *.example.com) or an IP " +
      "address (e.g. 10.0.0.1 or fd00::1)",
  }]).describe(description);
}

/** Compares two semantic versions; negative when a < b. Pre-release tags are ignored. */
export function compareSemver(a: string, b: string): number {
  const parse = (v: string) => v.replace(/^v/, "").split(/[-+]/)[0].split(".").map(Number);
  const [pa, pb] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) {
    if (pa[i] !== pb[i]) return pa[i] - pb[i];
  }
  return 0;
}

/** Renders a zod issue path the way Kubernetes names fields: `spec.items[0].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Turns a zod error into `field: message` lines, one per issue, in document order. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return path === "" ? issue.message : `${path}: ${issue.message}`;
  });
}
