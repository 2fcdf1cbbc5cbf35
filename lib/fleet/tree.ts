/**
 * The live tree as text (`lattice cluster tree --live`): one line per cluster with a status
 * glyph, phase, role, Kubernetes and Flux versions, nodes and heartbeat age.
 */
import type { FleetRow } from "./view.ts";

/** Glyph per phase; stale and disconnected override it. */
export const PHASE_GLYPHS: Readonly<Record<string, string>> = {
  Ready: "✔",
  Failed: "✖",
  Provisioning: "◔",
  Pivoting: "⇄",
  Pending: "…",
  Deleting: "−",
};

/** "12s", "4m", "3h", "2d": how long ago `ms` was before `now`. */
export function ageText(ms: number | undefined, now: number): string {
  if (!ms) return "-";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function line(row: FleetRow, root: string, now: number): string {
  const glyph = row.stale ? "?" : PHASE_GLYPHS[row.phase] ?? "?";
  const parts = [`${glyph} ${row.name}`, row.phase + (row.stale ? " (stale)" : "")];
  parts.push(row.cell ? "cell" : "leaf");
  if (row.kubernetesVersion) parts.push(`k8s ${row.kubernetesVersion}`);
  if (row.fluxVersion) parts.push(`flux ${row.fluxVersion}`);
  if (row.nodesTotal) parts.push(`nodes ${row.nodesReady}/${row.nodesTotal}`);
  if (row.name !== root) {
    parts.push(
      !row.connected
        ? "agent disconnected"
        : row.lastHeartbeat
        ? `heartbeat ${ageText(row.lastHeartbeat, now)} ago`
        : "connected",
    );
  }
  return parts.join("  ");
}

/** The rows as a tree rooted at `root` (rows whose parent is unknown hang off the root). */
export function renderLiveTree(rows: FleetRow[], root: string, now = Date.now()): string {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const children = new Map<string, FleetRow[]>();
  for (const r of rows) {
    if (r.name === root) continue;
    const parent = byName.has(r.parent) ? r.parent : root;
    const list = children.get(parent) ?? [];
    list.push(r);
    children.set(parent, list);
  }
  const top = byName.get(root);
  const lines = [top ? line(top, root, now) : root];
  const seen = new Set<string>([root]);
  const walk = (name: string, prefix: string) => {
    const list = (children.get(name) ?? []).sort((a, b) => a.name.localeCompare(b.name));
    list.forEach((child, i) => {
      if (seen.has(child.name)) return;
      seen.add(child.name);
      const last = i === list.length - 1;
      lines.push(`${prefix}${last ? "└── " : "├── "}${line(child, root, now)}`);
      walk(child.name, `${prefix}${last ? "    " : "│   "}`);
    });
  };
  walk(root, "");
  return lines.join("\n");
}
