/**
 * Which registration a placement's `serviceRef` names: the nearest one up the hierarchy.
 * A cluster knows its own registrations (its `registrations/` folder, applied by its Flux)
 * and the set its parent handed down the agent stream — the parent's own registrations over
 * what the grandparent handed it, and so on up to the root (docs/adr/registration-inheritance.md).
 */
import { createHash } from "node:crypto";

/** A registration as handed down the stream: its spec and the cluster defining it. */
export interface InheritedRegistration {
  name: string;
  /** Cluster whose `registrations/` folder holds it. */
  definedOn: string;
  /** The registration's `spec`, as that cluster's API server stored it. */
  spec: Record<string, unknown>;
}

/** A registration object on this cluster (only the fields resolution reads). */
export interface LocalRegistration {
  metadata?: { name?: string; deletionTimestamp?: string };
  spec?: Record<string, unknown>;
}

/** The outcome of resolving one `serviceRef`. */
export type Resolution =
  | { found: true; registration: InheritedRegistration }
  | { found: false; message: string };

/**
 * The set a cluster hands to its children: its own registrations, then whatever it
 * inherited that none of its own shadows. Sorted by name, so its hash is stable.
 */
export function handDown(
  selfName: string,
  local: readonly LocalRegistration[],
  inherited: readonly InheritedRegistration[],
): InheritedRegistration[] {
  const out = new Map<string, InheritedRegistration>();
  for (const r of inherited) out.set(r.name, r);
  for (const r of local) {
    const name = r.metadata?.name;
    if (!name || r.metadata?.deletionTimestamp || !r.spec) continue;
    out.set(name, { name, definedOn: selfName, spec: r.spec });
  }
  return [...out.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Resolves `serviceRef` from this cluster's registrations, then the inherited set. */
export function resolveRegistration(
  serviceRef: string,
  selfName: string,
  local: readonly LocalRegistration[],
  inherited: readonly InheritedRegistration[],
): Resolution {
  const found = handDown(selfName, local, inherited).find((r) => r.name === serviceRef);
  if (found) return { found: true, registration: found };
  const where = [selfName, ...new Set(inherited.map((r) => r.definedOn))];
  return {
    found: false,
    message: `no LatticeServiceRegistration "${serviceRef}" on this cluster (${selfName}) ` +
      `or its ancestors (searched: ${where.join(", ")}; ${inherited.length} inherited)`,
  };
}

/** Canonical JSON: object keys sorted (equal sets hash equally on both sides; equal statuses compare equal). */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return `{${
      Object.keys(obj).sort().filter((k) => obj[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(value);
}

/** Hash of a handed-down set (what the child reports back in its heartbeat). */
export function registrationsHash(set: readonly InheritedRegistration[]): string {
  return createHash("sha256").update(canonical(set)).digest("hex").slice(0, 32);
}

/** Encodes a set for the wire (JSON; the proto carries it as bytes). */
export function encodeRegistrations(set: readonly InheritedRegistration[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(set));
}

/** Most registrations one hand-down may carry (a bound on what a parent can make us store). */
export const MAX_INHERITED_REGISTRATIONS = 2_000;
/** Largest encoded hand-down accepted (bytes). */
export const MAX_INHERITED_BYTES = 2 * 1024 * 1024;

/** Decodes and checks a handed-down set; throws an Error saying what is wrong. */
export function decodeRegistrations(bytes: Uint8Array): InheritedRegistration[] {
  if (bytes.length > MAX_INHERITED_BYTES) {
    throw new Error(`registrations: ${bytes.length} bytes exceed ${MAX_INHERITED_BYTES}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new Error("registrations: not JSON", { cause });
  }
  if (!Array.isArray(parsed)) throw new Error("registrations: not a list");
  if (parsed.length > MAX_INHERITED_REGISTRATIONS) {
    throw new Error(`registrations: ${parsed.length} exceed ${MAX_INHERITED_REGISTRATIONS}`);
  }
  return parsed.map((r, i) => {
    const o = r as Partial<InheritedRegistration> | null;
    if (
      !o || typeof o.name !== "string" || typeof o.definedOn !== "string" ||
      !o.spec || typeof o.spec !== "object" || Array.isArray(o.spec)
    ) {
      throw new Error(`registrations[${i}]: needs name, definedOn and an object spec`);
    }
    return { name: o.name, definedOn: o.definedOn, spec: o.spec };
  });
}
