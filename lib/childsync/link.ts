/**
 * The cell's {@linkcode ChildLink}: what the cluster controller needs of the agent stream for
 * pivoted children — spec down (SpecSyncer), heartbeat age (the registry), the unpivot
 * command on deletion, and the hook that revokes a deleted child's agent certificate.
 */
import type { AgentRegistry } from "../cell/registry.ts";
import { CommandFailedError } from "../cell/registry.ts";
import type { ChildLink, UnpivotState } from "../controllers/cluster/types.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import { SpecSyncer } from "./cell.ts";

/**
 * Makes a deleted child's agent certificate unusable. The revocation itself (a revoked
 * certificate can never connect or renew again) belongs to the cell's PKI; the cell wires
 * it here. Called once the child's infrastructure is gone, before the finalizer is removed;
 * must be idempotent.
 */
export type RevokeAgent = (clusterName: string) => Promise<void>;

/** Options for {@linkcode createChildLink}. */
export interface ChildLinkOptions {
  registry: Pick<AgentRegistry, "get" | "sendCommand" | "subscribe">;
  /** Expected heartbeat interval of agents; default 30 s. */
  heartbeatIntervalMs?: number;
  /** Heartbeats missed before a child's view is marked stale; default 3. */
  staleAfterHeartbeats?: number;
  /** Wait for each command's acknowledgement this long; default 30 s. */
  commandTimeoutMs?: number;
  /** The revocation of a deleted child's agent (see {@linkcode RevokeAgent}). */
  revokeAgent?: RevokeAgent;
  /** Called when a spec send settled (requeue the cluster). */
  onSyncSettled?: (clusterName: string) => void;
  logger?: Logger;
}

/** A ChildLink with its syncer, to start and stop with the cell. */
export interface CellChildLink extends ChildLink {
  syncer: SpecSyncer;
  close(): void;
}

/** Builds the cell's link to its pivoted children; call close() on shutdown. */
export function createChildLink(options: ChildLinkOptions): CellChildLink {
  const log = (options.logger ?? silentLogger).child({ component: "child-link" });
  const registry = options.registry;
  const syncer = new SpecSyncer(registry, {
    timeoutMs: options.commandTimeoutMs,
    onSettled: options.onSyncSettled,
    logger: options.logger,
  });
  syncer.start();
  const interval = options.heartbeatIntervalMs ?? 30_000;
  return {
    syncer,
    staleAfterMs: interval * (options.staleAfterHeartbeats ?? 3),
    offerSpec: (name, spec, generation) => syncer.offer(name, spec, generation),
    forget: (name) => syncer.forget(name),
    lastHeartbeat: (name) => registry.get(name)?.lastHeartbeat,
    async unpivot(name, unpivotId): Promise<UnpivotState> {
      if (!registry.get(name)?.connected) return { state: "disconnected" };
      try {
        const ack = await registry.sendCommand(name, {
          $case: "unpivot",
          value: { clusterName: name, capiNamespace: `capi-${name}`, unpivotId },
        }, { timeoutMs: options.commandTimeoutMs ?? 30_000 });
        const p = ack.unpivot;
        if (!p) {
          return { state: "refused", message: "The child's agent cannot unpivot (too old)" };
        }
        return {
          state: p.phase === "Done" ? "done" : "running",
          phase: p.phase,
          message: p.message,
        };
      } catch (error) {
        if (error instanceof CommandFailedError) {
          return { state: "refused", message: error.message };
        }
        return { state: "failed", message: (error as Error).message };
      }
    },
    async revokeAgent(name) {
      if (!options.revokeAgent) {
        log.warn("No agent revocation wired: the deleted child's certificate stays valid", {
          cluster: name,
        });
        return;
      }
      await options.revokeAgent(name);
    },
    close: () => syncer.close(),
  };
}
