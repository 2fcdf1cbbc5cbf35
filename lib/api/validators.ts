/**
 * Reusable zod building blocks for Kubernetes-shaped APIs: names, versions, CIDRs,
 * durations, and the formatting of validation issues into `path: message` lines.
 *
 * Every regex here must be RE2-compatible (no look-around), because the generated CRDs
 * hand the same patterns to the kube-apiserver.
 */
import { z } from "zod";

/** DNS-1123 label: lowercase alphanumerics and '-', start and end alphanumeric, ≤ 63. */
export const DNS1123_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/** Semantic version as Kubernetes releases use it, with an optional leading `v`. */
export const SEMVER =
  "^v?(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$";

const IPV4_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4 = `${IPV4_OCTET}(\\.${IPV4_OCTET}){3}`;
// IPv6 in any of its textual forms; the exact compression rules are checked in code.
const IPV6 = "[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*";

/** IPv4 or IPv6 CIDR, e.g. `10.0.0.0/16`, `172.18.255.1/32`, `fd00::/64`. */
export const CIDR = `^(${IPV4}/(3[0-2]|[12]?[0-9])|${IPV6}/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))$`;

/** Go duration as Flux and Kubernetes accept it, e.g. `1m`, `5m30s`, `1h`. */
export const DURATION = "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$";

/** A DNS-1123 label string schema. */
export function dnsLabel(description: string): z.ZodString {
  return z.string()
    .max(63, "must be no more than 63 characters")
    .regex(
      new RegExp(DNS1123_LABEL),
      "must be a lowercase DNS-1123 label: a-z, 0-9 and '-', starting and ending with a letter or digit",
    )
    .describe(description);
}

/** A semantic version string schema. */
export function semver(description: string): z.ZodString {
  return z.string()
    .regex(new RegExp(SEMVER), "must be a semantic version like 1.31.0")
    .describe(description);
}

const CIDR_MESSAGE = "must be a CIDR like 10.0.0.0/16 or fd00::/64";

/** A CIDR string schema (IPv4 or IPv6). */
export function cidr(description: string): z.ZodString {
  return z.string()
    .regex(new RegExp(CIDR), { error: CIDR_MESSAGE, abort: true })
    .refine(isValidCidr, CIDR_MESSAGE)
    .describe(description);
}

/** A Go-style duration string schema. */
export function duration(description: string): z.ZodString {
  return z.string()
    .regex(new RegExp(DURATION), "must be a duration like 30s, 5m or 1h")
    .describe(description);
}

/** True when `value` is a syntactically valid IPv4 or IPv6 CIDR. */
export function isValidCidr(value: string): boolean {
  const slash = value.lastIndexOf("/");
  if (slash < 0) return false;
  const ip = value.slice(0, slash);
  if (ip.includes(".") && !ip.includes(":")) return new RegExp(`^${IPV4}$`).test(ip);
  return isValidIpv6(ip);
}

function isValidIpv6(ip: string): boolean {
  const halves = ip.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  const hexGroup = /^[0-9A-Fa-f]{1,4}$/;
  let count = 0;
  for (const [i, g] of groups.entries()) {
    if (hexGroup.test(g)) count += 1;
    else if (i === groups.length - 1 && new RegExp(`^${IPV4}$`).test(g)) count += 2;
    else return false;
  }
  return halves.length === 2 ? count < 8 : count === 8;
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
