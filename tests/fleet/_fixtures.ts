/** Builders shared by the fleet tests. */
import { emptySummary, type FleetState, SubtreeEncoder } from "../../lib/fleet/mod.ts";
import {
  AgentMessage,
  type FleetClusterSummary,
  type FleetSubtreeUpdate,
} from "../../lib/proto/lattice/agent/v1/agent.ts";

/** A summary with a phase (and anything else given). */
export function entry(
  name: string,
  parent: string,
  more: Partial<FleetClusterSummary> = {},
): FleetClusterSummary {
  return { ...emptySummary(name, parent), phase: "Ready", ...more };
}

/** An update as it arrives: encoded and decoded through the real proto. */
export function wire(update: FleetSubtreeUpdate): FleetSubtreeUpdate {
  const bytes = AgentMessage.encode({
    clusterName: "x",
    payload: { $case: "fleetSubtree", value: update },
  }).finish();
  const back = AgentMessage.decode(bytes).payload;
  if (back?.$case !== "fleetSubtree") throw new Error("not a fleet update");
  return back.value;
}

/** Applies every update to `to` as child `from`; returns the refused count. */
export function deliver(to: FleetState, from: string, updates: FleetSubtreeUpdate[]): number {
  let refused = 0;
  for (const u of updates) {
    const r = to.apply(from, wire(u));
    if (r.resync) throw new Error(`unexpected resync: ${r.resync}`);
    refused += r.refused;
  }
  return refused;
}

/** A child's link as its agent would run it: snapshot now, deltas on demand. */
export class Link {
  readonly encoder = new SubtreeEncoder();
  readonly #dirty = new Set<string>();
  constructor(readonly child: FleetState, readonly parent: FleetState) {
    child.subscribe((names) => names.forEach((n) => this.#dirty.add(n)));
  }
  connect(): number {
    this.#dirty.clear();
    return deliver(this.parent, this.child.self, this.encoder.snapshot(this.child));
  }
  flush(): number {
    const names = [...this.#dirty];
    this.#dirty.clear();
    return deliver(this.parent, this.child.self, this.encoder.delta(this.child, names));
  }
}
