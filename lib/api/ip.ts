/**
 * IP addresses and CIDRs as Lattice accepts them: one RE2-compatible regex per form,
 * used verbatim by zod and by the CRD's CEL rules, and prefix arithmetic for overlaps.
 *
 * IPv6 is accepted in hexadecimal form only (full or `::`-compressed, no zone); the
 * dotted-quad tail (`::ffff:10.0.0.1`) is refused so every layer, including the
 * apiserver's CEL `cidr()` library, reads a value the same way.
 */

const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
/** Dotted-quad IPv4 without leading zeros. */
export const IPV4 = `${OCTET}(\\.${OCTET}){3}`;

const H = "[0-9A-Fa-f]{1,4}";

/** Hexadecimal IPv6: eight groups, or fewer around one `::`. */
export const IPV6 = (() => {
  const forms = [`(${H}:){7}${H}`];
  for (let left = 0; left <= 7; left++) {
    const head = left === 0 ? "" : left === 1 ? H : `(${H}:){${left - 1}}${H}`;
    const room = 7 - left;
    const more = room > 1 ? `(:${H}){0,${room - 1}}` : "";
    const tail = room === 0 ? "" : `(${H}${more})?`;
    forms.push(`${head}::${tail}`);
  }
  return `(${forms.join("|")})`;
})();

/** IPv4 or IPv6 CIDR, e.g. `10.0.0.0/16`, `172.18.255.1/32`, `fd00::/64`. */
export const CIDR = `^(${IPV4}/(3[0-2]|[12]?[0-9])|${IPV6}/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))$`;

/** An IPv4 or IPv6 address. */
export const IP = `^(${IPV4}|${IPV6})$`;

const cidrPattern = new RegExp(CIDR);

/** True when `value` is a CIDR as {@linkcode CIDR} defines it. */
export function isValidCidr(value: string): boolean {
  return cidrPattern.test(value);
}

/** A parsed prefix: family width, address as a number, prefix length. */
export interface Prefix {
  bits: 32 | 128;
  address: bigint;
  length: number;
}

/** Parses a CIDR accepted by {@linkcode isValidCidr}; undefined otherwise. */
export function parseCidr(value: string): Prefix | undefined {
  if (!isValidCidr(value)) return undefined;
  const [ip, len] = value.split("/");
  const length = Number(len);
  if (!ip.includes(":")) {
    const address = ip.split(".").reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
    return { bits: 32, address, length };
  }
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined
    ? left
    : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  const address = all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
  return { bits: 128, address, length };
}

/** True when two CIDRs share an address (one contains the other); false across families. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [p, q] = [parseCidr(a), parseCidr(b)];
  if (!p || !q || p.bits !== q.bits) return false;
  const shift = BigInt(p.bits - Math.min(p.length, q.length));
  return p.address >> shift === q.address >> shift;
}
