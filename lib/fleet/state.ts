/**
 * One cell's view of the fleet below it (pure; no I/O): its own entry, each direct child as
 * the cell sees it (its LatticeCluster copy and agent link), and each child's reported
 * subtree, merged so {@linkcode FleetState.get} answers for any cluster below.
 *
 * Reports are checked before they are stored: a child may only describe itself and clusters
 * whose parent chain leads to it (never this cell, a sibling or a sibling's clusters),
 * every entry is cut to the limits, and the total is capped (`maxClusters`): refused entries
 * are counted as truncated and shown as such. When a child's link drops, its whole subtree
 * stays as last known but reads `stale`, until the child's next full snapshot replaces it.
 */
import type { FleetClusterSummary, FleetSubtreeUpdate } from "../proto/lattice/agent/v1/agent.ts";
import {
  DEFAULT_FLEET_LIMITS,
  emptySummary,
  fingerprint,
  type FleetLimits,
  sanitizeSummary,
} from "./limits.ts";
import { mergeChild } from "./merge.ts";

/** A direct child as this cell sees it. */
export interface LocalChild {
  /** From the cell's LatticeCluster copy and the agent registry (parent set to this cell). */
  summary: FleetClusterSummary;
  /** The child manages itself (pivoted): its own report wins for phase, versions, nodes. */
  pivoted: boolean;
}

/** The outcome of {@linkcode FleetState.apply}. */
export interface ApplyResult {
  accepted: number;
  refused: number;
  /** Set when the update was not applied and the child must send a full snapshot. */
  resync?: string;
}

interface Subtree {
  entries: Map<string, FleetClusterSummary>;
  /** The link is down (or no snapshot came since it came back): entries read stale. */
  down: boolean;
  /** Last sequence applied on the current stream; 0 before the stream's first snapshot. */
  lastSequence: number;
  /** Names received in the snapshot being assembled. */
  resetting?: Set<string>;
  /** Clusters the child left out by its own limits. */
  truncated: number;
  /** Entries refused here (limits, names) since the last snapshot. */
  refused: number;
}

/** Options for {@linkcode FleetState}. */
export interface FleetStateOptions {
  limits?: Partial<FleetLimits>;
}

/** See the module doc. */
export class FleetState {
  /** This cell's (or leaf's) own name. */
  readonly self: string;
  readonly limits: FleetLimits;
  #own: FleetClusterSummary;
  readonly #local = new Map<string, LocalChild>();
  readonly #subtrees = new Map<string, Subtree>();
  /** Which child's subtree holds a name (names below direct children). */
  readonly #owner = new Map<string, string>();
  readonly #listeners = new Set<(changed: ReadonlySet<string>) => void>();
  #batch?: Set<string>;

  constructor(self: string, options: FleetStateOptions = {}) {
    this.self = self;
    this.limits = { ...DEFAULT_FLEET_LIMITS, ...options.limits };
    this.#own = emptySummary(self);
  }

  /** Listens to changes: the names whose merged entry changed or went away. */
  subscribe(listener: (changed: ReadonlySet<string>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many clusters the state holds (this one included). */
  get size(): number {
    let n = 1 + this.#local.size;
    for (const [child, tree] of this.#subtrees) {
      n += tree.entries.size - (tree.entries.has(child) ? 1 : 0);
    }
    return n;
  }

  /** Clusters left out below this cell because of limits (theirs and ours). */
  get truncated(): number {
    let n = 0;
    for (const tree of this.#subtrees.values()) n += tree.truncated + tree.refused;
    return n;
  }

  /** Sets this cluster's own entry (its name is kept). */
  setSelf(summary: FleetClusterSummary): void {
    const next = sanitizeSummary({ ...summary, name: this.self, stale: false }, this.limits);
    if (!next || fingerprint(next) === fingerprint(this.#own)) return;
    this.#own = next;
    this.#changed([this.self]);
  }

  /** Sets a direct child as this cell sees it. */
  setLocalChild(name: string, child: LocalChild): void {
    if (name === this.self) return;
    const summary = sanitizeSummary({ ...child.summary, name, parent: this.self }, this.limits);
    if (!summary) return;
    const before = this.#local.get(name);
    if (
      before && before.pivoted === child.pivoted &&
      fingerprint(before.summary) === fingerprint(summary)
    ) {
      return;
    }
    // A name a subtree claimed first now is a direct child: the direct child wins.
    const owner = this.#owner.get(name);
    if (owner !== undefined && owner !== name) this.#drop(owner, [name]);
    this.#local.set(name, { summary, pivoted: child.pivoted });
    this.#changed([name]);
  }

  /** Keeps only the direct children in `names` (others were deleted), with their subtrees. */
  retainChildren(names: ReadonlySet<string>): void {
    const gone: string[] = [];
    for (const name of [...this.#local.keys()]) {
      if (names.has(name)) continue;
      this.#local.delete(name);
      gone.push(name);
      const tree = this.#subtrees.get(name);
      if (tree) {
        for (const n of tree.entries.keys()) {
          if (n !== name) this.#owner.delete(n);
          gone.push(n);
        }
        this.#subtrees.delete(name);
      }
    }
    if (gone.length) this.#changed(gone);
  }

  /** The child's link dropped: its subtree stays, marked stale. */
  linkDown(child: string): void {
    const tree = this.#subtrees.get(child);
    if (!tree) return;
    tree.lastSequence = 0;
    tree.resetting = undefined;
    if (tree.down) return;
    tree.down = true;
    this.#changed(tree.entries.keys());
  }

  /** A new stream from the child: the next update must be a snapshot. */
  linkUp(child: string): void {
    const tree = this.#subtrees.get(child);
    if (!tree) return;
    tree.lastSequence = 0;
    tree.resetting = undefined;
  }

  /** Applies one update from `child`'s agent; see the module doc for the checks. */
  apply(child: string, update: FleetSubtreeUpdate): ApplyResult {
    if (child === this.self) return { accepted: 0, refused: update.upserts.length };
    let tree = this.#subtrees.get(child);
    if (!tree) {
      tree = { entries: new Map(), down: false, lastSequence: 0, truncated: 0, refused: 0 };
      this.#subtrees.set(child, tree);
    }
    if (update.reset) {
      tree.resetting = new Set();
      tree.refused = 0;
    } else if (tree.lastSequence === 0) {
      return { accepted: 0, refused: 0, resync: "no snapshot on this stream yet" };
    } else if (update.sequence !== tree.lastSequence + 1) {
      tree.lastSequence = 0;
      return {
        accepted: 0,
        refused: 0,
        resync: `sequence ${update.sequence} after ${tree.lastSequence}`,
      };
    }
    tree.lastSequence = update.sequence;
    tree.truncated = Math.min(update.truncated >>> 0, 10_000_000);
    this.#batch = new Set();
    let accepted = 0;
    let refused = 0;
    for (const raw of update.upserts) {
      if (this.#accept(child, tree, raw)) accepted++;
      else refused++;
    }
    if (update.removals.length) this.#drop(child, update.removals.filter((n) => n !== child));
    if (tree.resetting && !update.more) {
      const keep = tree.resetting;
      tree.resetting = undefined;
      this.#drop(child, [...tree.entries.keys()].filter((n) => !keep.has(n)));
      if (tree.down) {
        tree.down = false;
        for (const n of tree.entries.keys()) this.#batch.add(n);
      }
    }
    if (update.removals.length) this.#pruneOrphans(child, tree);
    tree.refused += refused;
    const changed = this.#batch;
    this.#batch = undefined;
    if (changed.size) this.#changed(changed);
    return { accepted, refused };
  }

  /** The merged entry of `name`, or undefined. */
  get(name: string): FleetClusterSummary | undefined {
    if (name === this.self) return this.#own;
    const local = this.#local.get(name);
    if (local) {
      const tree = this.#subtrees.get(name);
      return mergeChild(local, tree?.entries.get(name), tree?.down ?? false, this.limits);
    }
    const owner = this.#owner.get(name);
    if (owner === undefined) return undefined;
    const tree = this.#subtrees.get(owner)!;
    const entry = tree.entries.get(name);
    if (!entry) return undefined;
    return tree.down && !entry.stale ? { ...entry, stale: true } : entry;
  }

  /** Every name, this cluster first. */
  *names(): Iterable<string> {
    yield this.self;
    yield* this.#local.keys();
    yield* this.#owner.keys();
  }

  /** Every merged entry, parents before children (breadth first from this cluster). */
  entries(): FleetClusterSummary[] {
    const all = new Map<string, FleetClusterSummary>();
    for (const name of this.names()) {
      const e = this.get(name);
      if (e) all.set(name, e);
    }
    const children = new Map<string, string[]>();
    for (const e of all.values()) {
      if (e.name === this.self) continue;
      const list = children.get(e.parent) ?? [];
      list.push(e.name);
      children.set(e.parent, list);
    }
    const out: FleetClusterSummary[] = [];
    const seen = new Set<string>();
    const queue = [this.self];
    for (let i = 0; i < queue.length; i++) {
      const name = queue[i];
      if (seen.has(name)) continue;
      seen.add(name);
      out.push(all.get(name)!);
      for (const c of (children.get(name) ?? []).sort()) queue.push(c);
    }
    return out;
  }

  #accept(child: string, tree: Subtree, raw: FleetClusterSummary): boolean {
    const entry = sanitizeSummary(raw, this.limits);
    if (!entry) return false;
    if (entry.name === child) {
      entry.parent = this.self;
    } else {
      if (entry.name === this.self || this.#local.has(entry.name)) return false;
      const owner = this.#owner.get(entry.name);
      if (owner !== undefined && owner !== child) return false;
      // Its parent must be the child or already in the child's subtree.
      if (entry.parent !== child && !tree.entries.has(entry.parent)) return false;
      if (owner === undefined && this.size >= this.limits.maxClusters) return false;
    }
    tree.resetting?.add(entry.name);
    const before = tree.entries.get(entry.name);
    if (before && fingerprint(before) === fingerprint(entry)) return true;
    tree.entries.set(entry.name, entry);
    if (entry.name !== child) this.#owner.set(entry.name, child);
    this.#batch?.add(entry.name);
    return true;
  }

  #drop(child: string, names: Iterable<string>): void {
    const tree = this.#subtrees.get(child);
    if (!tree) return;
    const gone: string[] = [];
    for (const name of names) {
      if (!tree.entries.delete(name)) continue;
      if (name !== child) this.#owner.delete(name);
      gone.push(name);
    }
    if (this.#batch) { for (const n of gone) this.#batch.add(n); }
    else if (gone.length) this.#changed(gone);
  }

  /** Removes entries whose parent chain no longer reaches the child. */
  #pruneOrphans(child: string, tree: Subtree): void {
    const children = new Map<string, string[]>();
    for (const e of tree.entries.values()) {
      if (e.name === child) continue;
      const list = children.get(e.parent) ?? [];
      list.push(e.name);
      children.set(e.parent, list);
    }
    const reach = new Set<string>();
    const queue = [child];
    for (let i = 0; i < queue.length; i++) {
      if (reach.has(queue[i])) continue;
      reach.add(queue[i]);
      queue.push(...(children.get(queue[i]) ?? []));
    }
    this.#drop(child, [...tree.entries.keys()].filter((n) => !reach.has(n)));
  }

  #changed(names: Iterable<string>): void {
    const set = new Set(names);
    for (const listener of this.#listeners) {
      try {
        listener(set);
      } catch {
        // A failing listener must not stop the others.
      }
    }
  }
}
