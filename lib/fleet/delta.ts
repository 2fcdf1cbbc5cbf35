/**
 * The sending side of the subtree protocol (docs/adr/fleet-subtree-deltas.md): remembers
 * what was sent on the current stream (a fingerprint per cluster) and turns the state into
 * a chunked full snapshot on connect, then into deltas of only what changed.
 */
import type { FleetClusterSummary, FleetSubtreeUpdate } from "../proto/lattice/agent/v1/agent.ts";
import { DEFAULT_FLEET_LIMITS, fingerprint } from "./limits.ts";

/** What an encoder reads: entries by name, and all of them parents first. */
export interface FleetSource {
  get(name: string): FleetClusterSummary | undefined;
  entries(): FleetClusterSummary[];
  readonly truncated: number;
}

/** See the module doc. */
export class SubtreeEncoder {
  readonly #sent = new Map<string, string>();
  readonly #chunk: number;
  #sequence = 0;
  #truncated = 0;

  constructor(options: { maxChunkEntries?: number } = {}) {
    this.#chunk = Math.max(1, options.maxChunkEntries ?? DEFAULT_FLEET_LIMITS.maxChunkEntries);
  }

  /** Clusters the receiver holds according to what was sent. */
  get sentCount(): number {
    return this.#sent.size;
  }

  /** A full snapshot starting a new stream (sequence from 1), in chunks. */
  snapshot(source: FleetSource): FleetSubtreeUpdate[] {
    this.#sent.clear();
    this.#sequence = 0;
    const entries = source.entries();
    this.#truncated = source.truncated;
    const out: FleetSubtreeUpdate[] = [];
    for (let i = 0; i === 0 || i < entries.length; i += this.#chunk) {
      const upserts = entries.slice(i, i + this.#chunk);
      for (const e of upserts) this.#sent.set(e.name, fingerprint(e));
      out.push({
        sequence: ++this.#sequence,
        reset: i === 0,
        more: i + this.#chunk < entries.length,
        upserts,
        removals: [],
        truncated: this.#truncated,
      });
    }
    return out;
  }

  /** The changes among `names` since the last update, in chunks; empty when none. */
  delta(source: FleetSource, names: Iterable<string>): FleetSubtreeUpdate[] {
    const upserts: FleetClusterSummary[] = [];
    const removals: string[] = [];
    for (const name of names) {
      const entry = source.get(name);
      if (!entry) {
        if (this.#sent.delete(name)) removals.push(name);
        continue;
      }
      const fp = fingerprint(entry);
      if (this.#sent.get(name) === fp) continue;
      this.#sent.set(name, fp);
      upserts.push(entry);
    }
    const truncated = source.truncated;
    if (!upserts.length && !removals.length && truncated === this.#truncated) return [];
    this.#truncated = truncated;
    // A new cluster's parent must arrive before it: order by depth.
    const depth = depthOf(source);
    upserts.sort((a, b) => depth(a.name) - depth(b.name));
    const out: FleetSubtreeUpdate[] = [];
    const total = Math.max(upserts.length, removals.length, 1);
    for (let i = 0; i < total; i += this.#chunk) {
      out.push({
        sequence: ++this.#sequence,
        reset: false,
        more: false,
        upserts: upserts.slice(i, i + this.#chunk),
        removals: removals.slice(i, i + this.#chunk),
        truncated,
      });
    }
    return out;
  }
}

function depthOf(source: FleetSource): (name: string) => number {
  const memo = new Map<string, number>();
  const depth = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    let d = 0;
    let cur = source.get(name);
    const seen = new Set<string>();
    while (cur?.parent && !seen.has(cur.parent) && d < 1_000) {
      seen.add(cur.parent);
      d++;
      cur = source.get(cur.parent);
    }
    memo.set(name, d);
    return d;
  };
  return depth;
}
