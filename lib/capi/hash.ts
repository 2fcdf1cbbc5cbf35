/**
 * Content hashes for immutable Cluster API templates: a template's name carries the hash
 * of its spec, so any change produces a new template and CAPI rolls the machines.
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so equal content hashes equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** First 10 hex digits of the SHA-256 of `value`'s canonical JSON (40 bits: no clashes
 * among the handful of templates one cluster ever has). */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 10);
}

/** `<base>-<hash of spec>`: the name of an immutable template. */
export function hashedName(base: string, spec: unknown): string {
  return `${base}-${contentHash(spec)}`;
}
