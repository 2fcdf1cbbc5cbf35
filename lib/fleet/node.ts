/**
 * The fleet view's moving parts on one cluster (one operator term): its own entry read from
 * its own API every interval; on a cell, its direct children read from its LatticeCluster
 * copies and the agent registry, and the subtrees children report over their streams.
 * The {@linkcode FleetState} it keeps is what the agent reports upwards and what the cell's
 * page and `lattice cluster tree --live` show.
 */
import { every, systemClock } from "../runtime/clock.ts";
import { nodeHealth } from "../agent/health.ts";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";
import type { AgentEvent, AgentInfo, AgentRegistry } from "../cell/registry.ts";
import type { KubeClient, ResourceRef } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { FleetEvent } from "../proto/lattice/agent/v1/agent.ts";
import {
  type ClusterDoc,
  type EventDoc,
  eventsByCluster,
  isPivoted,
  summaryFromCluster,
} from "./convert.ts";
import type { FleetLimits } from "./limits.ts";
import { FleetState } from "./state.ts";

const PLACEMENT_REF: ResourceRef = {
  group: "lattice.dev",
  version: "v1alpha1",
  plural: "latticeserviceplacements",
  kind: "LatticeServicePlacement",
  namespaced: false,
};

/** Options for {@linkcode startFleet}. */
export interface FleetNodeOptions {
  /** This cluster's name. */
  name: string;
  /** The bootstrap cell has no LatticeCluster of its own. */
  bootstrapCell?: boolean;
  /** The cell's agent registry, when this cluster is a cell. */
  registry?: AgentRegistry;
  /** How often the cluster's own API is read; default 30 s (the heartbeat interval). */
  intervalMs?: number;
  limits?: Partial<FleetLimits>;
  logger?: Logger;
}

/** A running fleet node. */
export interface FleetNode {
  state: FleetState;
  /** Reads the API now (tests; the timer does it every interval). */
  refresh(): Promise<void>;
  stop(): void;
}

/** The parts of a list answer read here. */
interface Items<T> {
  items: T[];
}

/** Starts reading; see the module doc. */
export function startFleet(client: KubeClient, options: FleetNodeOptions): FleetNode {
  const log = (options.logger ?? silentLogger).child({ component: "fleet" });
  const state = new FleetState(options.name, { limits: options.limits });
  const registry = options.registry;
  const copies = new Map<string, { doc: ClusterDoc; events: FleetEvent[] }>();
  let version = "";

  const updateChild = (name: string) => {
    const copy = copies.get(name);
    const info: AgentInfo | undefined = registry?.get(name);
    if (!copy && !info) return;
    const summary = copy
      ? summaryFromCluster(copy.doc, { parent: options.name, events: copy.events })
      : summaryFromCluster({ metadata: { name }, status: { phase: "Unknown" } }, {
        parent: options.name,
      });
    // Only this process's registry knows the link: a status written by an earlier
    // process (or another replica) is not proof of a stream now.
    summary.agentConnected = false;
    if (info) {
      summary.agentConnected = info.connected;
      summary.lastHeartbeat = info.lastHeartbeat;
      summary.agentVersion = info.agentVersion ?? summary.agentVersion;
      if (info.health && summary.nodesTotal === 0) {
        summary.nodesReady = info.health.readyNodes;
        summary.nodesTotal = info.health.totalNodes;
      }
    }
    state.setLocalChild(name, { summary, pivoted: copy ? isPivoted(copy.doc) : true });
  };

  const readSelf = async () => {
    const name = options.name;
    const [own, events, placements, health] = await Promise.all([
      client.get<ClusterDoc>(LATTICE_CLUSTER_REF, name).catch(() => undefined),
      listEvents(client),
      client.list<{ spec?: { serviceRef?: string } }>(PLACEMENT_REF).catch(() => ({ items: [] })),
      nodeHealth(client).catch(() => undefined),
    ]);
    version ||= await client.request<{ gitVersion: string }>({ method: "GET", path: "/version" })
      .then((v) => v.gitVersion, () => "");
    const byCluster = eventsByCluster(events, state.limits.maxEvents);
    const doc: ClusterDoc = own ?? {
      metadata: { name },
      spec: { cell: { enabled: true } },
      status: { phase: "Ready" },
    };
    const summary = summaryFromCluster(doc, {
      events: byCluster.get(name) ?? [],
      services: [...new Set(placements.items.map((p) => p.spec?.serviceRef ?? ""))]
        .filter(Boolean).sort(),
    });
    if (options.bootstrapCell || registry) summary.cell = true;
    if (health) {
      summary.nodesReady = health.readyNodes;
      summary.nodesTotal = health.totalNodes;
    }
    // The version Lattice runs the cluster at (its status, else its spec); the API server's
    // own only when there is no LatticeCluster.
    if (version && !own) {
      summary.kubernetesVersion = version.replace(/^v/, "").replace(/[-+].*$/, "");
    }
    summary.agentConnected = true;
    // What only the parent knows (link, heartbeat) is not reported about oneself.
    summary.lastHeartbeat = undefined;
    summary.agentVersion = "";
    state.setSelf(summary);
    if (!registry) return;
    const children = await client.list<ClusterDoc>(LATTICE_CLUSTER_REF);
    const keep = new Set<string>();
    copies.clear();
    for (const doc of children.items) {
      const child = doc.metadata?.name ?? "";
      const parent = doc.spec?.cellRef;
      const mine = parent === name || (options.bootstrapCell === true && !parent);
      if (!child || child === name || !mine) continue;
      keep.add(child);
      copies.set(child, { doc, events: byCluster.get(child) ?? [] });
    }
    // A connected agent without a copy here still shows (as Unknown); a disconnected one
    // whose LatticeCluster is gone has left the fleet.
    for (const info of registry.list()) if (info.connected) keep.add(info.clusterName);
    state.retainChildren(keep);
    for (const child of keep) updateChild(child);
  };

  let running: Promise<void> | undefined;
  const refresh = () => {
    running ??= readSelf()
      .catch((error) => log.warn("Cannot read the fleet state", { error }))
      .finally(() => running = undefined);
    return running;
  };

  const onAgent = (event: AgentEvent) => {
    if (event.type === "message") {
      const payload = event.message.payload;
      if (payload?.$case !== "fleetSubtree") return;
      const result = state.apply(event.clusterName, payload.value);
      if (result.refused) {
        log.warn("Refused fleet entries", { cluster: event.clusterName, refused: result.refused });
      }
      if (result.resync) {
        log.info("Asking for a fleet snapshot", { cluster: event.clusterName, why: result.resync });
        try {
          registry!.send(event.clusterName, {
            command: { $case: "fleetResync", value: { reason: result.resync } },
            commandId: "",
          });
        } catch { /* gone again: the next stream starts with a snapshot */ }
      }
      return;
    }
    const name = event.info.clusterName;
    if (event.type === "connected") state.linkUp(name);
    if (event.type === "disconnected") state.linkDown(name);
    updateChild(name);
  };
  const unsubscribe = registry?.subscribe(onAgent);
  const stopTimer = every(systemClock, options.intervalMs ?? 30_000, refresh);
  refresh();
  return {
    state,
    refresh,
    stop() {
      stopTimer();
      unsubscribe?.();
    },
  };
}

async function listEvents(client: KubeClient): Promise<EventDoc[]> {
  try {
    const list = await client.request<Items<EventDoc>>({
      method: "GET",
      path: "/api/v1/namespaces/default/events",
      query: { fieldSelector: "involvedObject.kind=LatticeCluster", limit: "500" },
    });
    return list.items;
  } catch {
    return [];
  }
}
