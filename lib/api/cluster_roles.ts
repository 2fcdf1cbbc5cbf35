/**
 * What a LatticeCluster spec means beyond its shape: whether it is a cell, and which CNI
 * it runs. One reading for the operator, the bundle, the CLI and the git checks; each
 * takes any document's spec (parsed or raw YAML) and reads it defensively.
 */

/** The CNI of a cluster that does not name one. */
export const DEFAULT_CNI = "cilium";

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/**
 * Whether the cluster is a cell (may provision children): `spec.cell` is present and not
 * `enabled: false`. `cell: {enabled: false}` is a leaf, exactly like no `cell` at all.
 */
export function isCellSpec(spec: unknown): boolean {
  const cell = field(spec, "cell");
  return typeof cell === "object" && cell !== null && field(cell, "enabled") !== false;
}

/** The CNI the cluster runs: `spec.networking.cni`, else {@link DEFAULT_CNI}. */
export function cniOf(spec: unknown): string {
  const cni = field(field(spec, "networking"), "cni");
  return typeof cni === "string" ? cni : DEFAULT_CNI;
}

/** Whether the cluster runs Cilium, so Cilium objects (LB-IPAM, policies) may be applied. */
export function runsCilium(spec: unknown): boolean {
  return cniOf(spec) === DEFAULT_CNI;
}
