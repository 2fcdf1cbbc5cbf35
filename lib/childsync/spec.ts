/**
 * The spec a parent hands its pivoted child: its hash (what the heartbeat reports back), the
 * fields two specs differ in (named in the Warning Event when a local edit is overwritten),
 * and the fields that can never change after creation (refused on the parent, never sent).
 */
import { createHash } from "node:crypto";
import { PROVIDERS } from "../api/providers.ts";
import { canonicalJson } from "../capi/hash.ts";

type Json = Record<string, unknown>;

/** SHA-256 (hex) of the canonical JSON of `spec`: equal specs hash equal on both sides. */
export function specHash(spec: unknown): string {
  return createHash("sha256").update(canonicalJson(spec ?? {})).digest("hex");
}

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The dotted paths where `a` and `b` differ, deepest differing objects expanded (arrays and
 * scalars are compared whole), sorted. `spec.nodes.workers`, `spec.provider.kubernetes.version`.
 */
export function diffFields(a: unknown, b: unknown, prefix = "spec"): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffFields(a[k], b[k], `${prefix}.${k}`));
  }
  return canonicalJson(a ?? null) === canonicalJson(b ?? null) ? [] : [prefix];
}

/** Provider fields that name where the machines are: moving them means a new cluster. */
const LOCATION_FIELDS: Record<string, string[]> = {
  aws: ["region"],
  gcp: ["project", "region"],
  azure: ["location", "subscriptionId"],
  openstack: ["cloudName"],
  proxmox: ["controlPlaneEndpoint"],
  docker: [],
};

/**
 * The fields fixed at creation, by dotted path: the provider type, its region (or location,
 * project...), the bootstrap provider, the pod and service networks, and the parent.
 */
export function immutableFields(spec: unknown): Record<string, string> {
  const s = isObject(spec) ? spec : {};
  const provider = isObject(s.provider) ? s.provider : {};
  const config = isObject(provider.config) ? provider.config : {};
  const kubernetes = isObject(provider.kubernetes) ? provider.kubernetes : {};
  const networking = isObject(s.networking) ? s.networking : {};
  const out: Record<string, string> = {};
  const type = PROVIDERS.find((p) => config[p] !== undefined);
  out["spec.provider.config"] = type ?? "";
  if (type) {
    const settings = isObject(config[type]) ? config[type] as Json : {};
    for (const field of LOCATION_FIELDS[type] ?? []) {
      out[`spec.provider.config.${type}.${field}`] = String(settings[field] ?? "");
    }
  }
  out["spec.provider.kubernetes.bootstrap"] = String(kubernetes.bootstrap ?? "kubeadm");
  out["spec.networking.pods"] = String(networking.pods ?? "");
  out["spec.networking.services"] = String(networking.services ?? "");
  out["spec.cellRef"] = String(s.cellRef ?? "");
  return out;
}

/** One immutable field a new spec would change. */
export interface ImmutableChange {
  field: string;
  from: string;
  to: string;
}

/** The immutable fields `next` changes relative to `created` (a map from immutableFields). */
export function immutableChanges(
  created: Record<string, string>,
  next: unknown,
): ImmutableChange[] {
  const now = immutableFields(next);
  const out: ImmutableChange[] = [];
  for (const field of [...new Set([...Object.keys(created), ...Object.keys(now)])].sort()) {
    const from = created[field] ?? "";
    const to = now[field] ?? "";
    if (from !== to) out.push({ field, from, to });
  }
  return out;
}

/** `spec.provider.config: "aws" → "gcp"; ...` for conditions and events. */
export function describeChanges(changes: ImmutableChange[]): string {
  return changes.map((c) => `${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)
    .join("; ");
}
