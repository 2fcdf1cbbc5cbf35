/**
 * The child's side of "git still drives the child": applies the spec its parent sends to its
 * OWN LatticeCluster (self mode then does the work with its own CAPI), and reports up, with
 * every heartbeat, the hash of the spec it runs and its own view of itself.
 *
 * A local edit made on the child since the last sync is overwritten by the next one, with a
 * Warning Event naming the fields (docs/adr/gitops-after-pivot.md). Which spec was synced is
 * remembered in annotations on the child's LatticeCluster, so an agent restart loses nothing.
 */
import { every, systemClock } from "../runtime/clock.ts";
import type { CommandHandlers } from "../agent/handlers.ts";
import { LATTICE_CLUSTER_REF } from "../api/refs.ts";
import type { LatticeClusterStatus } from "../api/lattice_cluster.ts";
import type { EventRecorder, KubeClient, KubeObject, ObjectList } from "../kube/mod.ts";
import { isConflict } from "../kube/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type { ChildClusterStatus, Heartbeat } from "../proto/lattice/agent/v1/agent.ts";
import { diffFields, specHash } from "./spec.ts";

/** Hash (from the parent) of the spec last synced. */
export const SYNCED_HASH_ANNOTATION = "lattice.dev/synced-spec-hash";
/** metadata.generation of the child's LatticeCluster right after the last sync. */
export const SYNCED_GENERATION_ANNOTATION = "lattice.dev/synced-generation";
/** The spec as stored right after the last sync (JSON): what local edits are diffed against. */
export const SYNCED_SPEC_ANNOTATION = "lattice.dev/synced-spec";

interface OwnCluster extends KubeObject {
  spec: Record<string, unknown>;
  status?: LatticeClusterStatus;
}

/**
 * The hash the child reports: the parent's hash of the last synced spec while nothing was
 * edited since (same generation), else the hash of the spec it holds. Reporting the parent's
 * own hash keeps a CRD-defaulting difference between the two sides from looking like a drift.
 */
export function reportedSpecHash(own: OwnCluster): string {
  const a = own.metadata?.annotations ?? {};
  const synced = a[SYNCED_HASH_ANNOTATION];
  if (synced && a[SYNCED_GENERATION_ANNOTATION] === String(own.metadata?.generation ?? "")) {
    return synced;
  }
  return specHash(own.spec);
}

/** The child's view of itself, as sent in heartbeats. */
export function childStatusOf(own: OwnCluster, children: string[]): ChildClusterStatus {
  const s = own.status ?? {};
  const ready = s.conditions?.find((c) => c.type === "Ready");
  return {
    phase: s.phase ?? "",
    kubernetesVersion: s.kubernetesVersion ?? "",
    readyNodes: s.nodes?.ready ?? 0,
    totalNodes: s.nodes?.total ?? 0,
    fluxVersion: s.fluxVersion ?? s.flux?.version ?? "",
    lastReconciled: s.lastReconciled ?? ready?.lastTransitionTime ?? "",
    generation: own.metadata?.generation ?? 0,
    observedGeneration: s.observedGeneration ?? 0,
    children,
  };
}

/** Options for {@linkcode ChildReporter}. */
export interface ChildReporterOptions {
  /** How often the child's LatticeCluster is re-read; default 10 s. */
  intervalMs?: number;
  /** Called when what would be reported changed (send a heartbeat now). */
  onChange?: () => void;
  logger?: Logger;
}

/**
 * Keeps the heartbeat's extra fields current by reading the child's own LatticeCluster (and
 * its own children) in the background: heartbeats are synchronous and must not wait.
 */
export class ChildReporter {
  readonly #client: KubeClient;
  readonly #name: string;
  readonly #o: ChildReporterOptions;
  #extras: Partial<Pick<Heartbeat, "specHash" | "clusterStatus">> = {};
  #timer?: () => void;
  #reading?: Promise<void>;

  constructor(client: KubeClient, clusterName: string, options: ChildReporterOptions = {}) {
    this.#client = client;
    this.#name = clusterName;
    this.#o = options;
  }

  /** What the next heartbeat carries. */
  extras(): Partial<Pick<Heartbeat, "specHash" | "clusterStatus">> {
    return this.#extras;
  }

  /** Reads now and every interval until {@linkcode stop}. */
  start(): void {
    this.#timer ??= every(systemClock, this.#o.intervalMs ?? 10_000, () => void this.refresh());
    void this.refresh();
  }

  stop(): void {
    this.#timer?.();
    this.#timer = undefined;
  }

  /** Re-reads the child's LatticeCluster; calls onChange when the report changed. */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => this.#reading = undefined);
    return this.#reading;
  }

  async #read(): Promise<void> {
    try {
      const [own, all] = await Promise.all([
        this.#client.get<OwnCluster>(LATTICE_CLUSTER_REF, this.#name),
        this.#client.list<OwnCluster>(LATTICE_CLUSTER_REF),
      ]);
      const children = (all as ObjectList<OwnCluster>).items
        .filter((c) => c.spec?.cellRef === this.#name && c.metadata?.name !== this.#name)
        .map((c) => c.metadata?.name ?? "").sort();
      const next = { specHash: reportedSpecHash(own), clusterStatus: childStatusOf(own, children) };
      const changed = JSON.stringify(next) !== JSON.stringify(this.#extras);
      this.#extras = next;
      if (changed) this.#o.onChange?.();
    } catch (error) {
      (this.#o.logger ?? silentLogger).debug("Cannot read own LatticeCluster", { error });
    }
  }
}

/** Options for {@linkcode specSyncHandlers}. */
export interface SpecSyncHandlerOptions {
  /** Records the Warning Event naming overwritten local edits. */
  recorder?: EventRecorder;
  /** Called after a spec was applied (refresh the report, send a heartbeat). */
  onApplied?: () => void | Promise<void>;
}

/** What one sync did on the child. */
export interface SpecSyncOutcome {
  changed: boolean;
  /** Fields edited on the child since the last sync, now overwritten. */
  overwritten: string[];
}

/**
 * Applies `spec` (the parent's copy, hash `hash`) to the child's own LatticeCluster `name`.
 * Idempotent; retries on conflicts with concurrent writers (self mode writes status only).
 */
export async function applySyncedSpec(
  client: KubeClient,
  name: string,
  spec: Record<string, unknown>,
  hash: string,
): Promise<SpecSyncOutcome> {
  for (let attempt = 0;; attempt++) {
    const own = await client.get<OwnCluster>(LATTICE_CLUSTER_REF, name);
    const annotations = own.metadata?.annotations ?? {};
    const same = diffFields(own.spec, spec).length === 0;
    if (same && annotations[SYNCED_HASH_ANNOTATION] === hash) {
      return { changed: false, overwritten: [] };
    }
    let overwritten: string[] = [];
    const last = annotations[SYNCED_SPEC_ANNOTATION];
    if (last && annotations[SYNCED_GENERATION_ANNOTATION] !== String(own.metadata?.generation)) {
      try {
        overwritten = diffFields(JSON.parse(last), own.spec);
      } catch {
        overwritten = [];
      }
    }
    try {
      const updated = same ? own : await client.replace<OwnCluster>({
        ...own,
        metadata: { ...own.metadata, annotations: { ...annotations } },
        spec,
      });
      // The generation the update produced marks "nothing edited here since".
      await client.patch(LATTICE_CLUSTER_REF, name, {
        metadata: {
          resourceVersion: updated.metadata?.resourceVersion,
          annotations: {
            [SYNCED_HASH_ANNOTATION]: hash,
            [SYNCED_GENERATION_ANNOTATION]: String(updated.metadata?.generation ?? ""),
            [SYNCED_SPEC_ANNOTATION]: JSON.stringify(updated.spec),
          },
        },
      });
      return { changed: !same, overwritten };
    } catch (error) {
      if (isConflict(error) && attempt < 5) continue;
      throw error;
    }
  }
}

/** The `specSync` entry of the agent's handler table. */
export function specSyncHandlers(
  client: KubeClient,
  options: SpecSyncHandlerOptions = {},
): CommandHandlers {
  return {
    specSync: async (command, ctx) => {
      if (command.clusterName !== ctx.clusterName) {
        throw new Error(
          `Cannot sync spec of ${command.clusterName}: this agent is ${ctx.clusterName}`,
        );
      }
      let spec: Record<string, unknown>;
      try {
        spec = JSON.parse(new TextDecoder().decode(command.spec));
      } catch (cause) {
        throw new Error("Cannot sync spec: not JSON", { cause });
      }
      if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
        throw new Error("Cannot sync spec: not an object");
      }
      if (specHash(spec) !== command.specHash) {
        throw new Error("Cannot sync spec: its hash does not match the one sent");
      }
      const outcome = await applySyncedSpec(client, ctx.clusterName, spec, command.specHash);
      if (outcome.overwritten.length > 0) {
        ctx.logger.warn("Overwrote local edits with the parent's spec", {
          fields: outcome.overwritten,
        });
        const own = await client.get<OwnCluster>(LATTICE_CLUSTER_REF, ctx.clusterName);
        await options.recorder?.record(own, {
          type: "Warning",
          reason: "LocalEditOverwritten",
          note: `Edits made on this cluster were overwritten by its parent's copy (from git, ` +
            `generation ${command.generation}): ${outcome.overwritten.join(", ")}. ` +
            "Change the cluster in git instead.",
          action: "SpecSync",
        });
      }
      if (outcome.changed) ctx.logger.info("Applied the parent's spec", { hash: command.specHash });
      await options.onApplied?.();
    },
  };
}
