/**
 * Progress of a sandbox run: the phase of every LatticeCluster, read from the plane that
 * is authoritative for it (its parent cell's plane until that plane is gone, then its own),
 * printed as transitions with the time since start, and a tree at the end.
 */

/** What the sandbox knows of one cluster. */
export interface ClusterRow {
  name: string;
  parent?: string;
  phase?: string;
  nodes?: string;
  version?: string;
  kubeconfigPath?: string;
}

/** A phase transition seen by the progress poller. */
export interface Transition {
  cluster: string;
  from?: string;
  to: string;
  atMs: number;
}

/** Remembers the last phase of each cluster and turns changes into transitions. */
export class PhaseTracker {
  readonly #phases = new Map<string, string>();
  readonly #history: Transition[] = [];
  readonly #start: number;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#start = now();
  }

  /** Records `phase` for `cluster`; returns the transition when it changed. */
  observe(cluster: string, phase: string | undefined): Transition | undefined {
    const to = phase ?? "Pending";
    const from = this.#phases.get(cluster);
    if (from === to) return undefined;
    this.#phases.set(cluster, to);
    const t = { cluster, from, to, atMs: this.#now() - this.#start };
    this.#history.push(t);
    return t;
  }

  /** Milliseconds since the tracker started. */
  elapsedMs(): number {
    return this.#now() - this.#start;
  }

  /** Every transition so far, in order. */
  get history(): readonly Transition[] {
    return this.#history;
  }
}

/** `[+12.3s] mgmt: Provisioning → Pivoting` */
export function formatTransition(t: Transition): string {
  const at = `[+${(t.atMs / 1000).toFixed(1)}s]`;
  return t.from ? `${at} ${t.cluster}: ${t.from} → ${t.to}` : `${at} ${t.cluster}: ${t.to}`;
}

/** Durations of each phase per cluster, from the transition history. */
export function timeline(history: readonly Transition[], endMs: number): string[] {
  const lines: string[] = [];
  const byCluster = Map.groupBy(history, (t) => t.cluster);
  for (const [cluster, ts] of byCluster) {
    const parts = ts.map((t, i) => {
      const until = ts[i + 1]?.atMs ?? endMs;
      return `${t.to} ${((until - t.atMs) / 1000).toFixed(1)}s`;
    });
    lines.push(`${cluster}: ${parts.join(" → ")}`);
  }
  return lines;
}

/** Renders the hierarchy as a tree, children under their parent cell. */
export function renderTree(rows: readonly ClusterRow[], root: string): string[] {
  const children = Map.groupBy(rows, (r) => r.parent ?? "");
  const lines = [root];
  const walk = (name: string, indent: string) => {
    const kids = children.get(name) ?? [];
    kids.forEach((row, i) => {
      const last = i === kids.length - 1;
      const detail = [row.phase ?? "Pending", row.version, row.nodes && `nodes ${row.nodes}`]
        .filter(Boolean).join(", ");
      lines.push(`${indent}${last ? "└── " : "├── "}${row.name} (${detail})`);
      walk(row.name, indent + (last ? "    " : "│   "));
    });
  };
  walk(root, "");
  return lines;
}
