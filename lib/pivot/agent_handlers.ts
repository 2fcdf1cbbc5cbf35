/**
 * The agent side of the pivot over the stream: the CellCommand handlers that hand
 * PivotBatch, PivotUnpause and PivotAbort to a {@linkcode PivotTarget}. The dispatcher
 * already answers a re-sent command id from memory; these handlers add what the wire does
 * not carry — which cluster and namespace a pivot id belongs to — and the progress of each
 * pivot for the acknowledgements.
 */
import { systemClock } from "../runtime/clock.ts";
import type { CommandContext, CommandHandlers, CommandResult } from "../agent/handlers.ts";
import type { PivotBatchAck } from "../proto/lattice/agent/v1/agent.ts";
import type { PivotTarget } from "./target.ts";
import { fromWireBatch } from "./wire.ts";

/** What the handlers need of a {@linkcode PivotTarget} (a PivotTarget satisfies it). */
export type PivotTargetApi = Pick<PivotTarget, "applyBatch" | "complete" | "abort">;

/** Options for {@linkcode pivotHandlers}. */
export interface PivotHandlersOptions {
  /** Pivots whose cluster and progress are remembered; default 64 (oldest forgotten). */
  rememberedPivots?: number;
}

interface PivotState {
  clusterName: string;
  namespace: string;
  /** Objects per batch index held on this cluster. */
  batches: Map<number, number>;
}

/**
 * The pivot entries of an agent's handler table:
 * - `pivot` (PivotCommand without inline objects) names a pivot's cluster and namespace and
 *   answers with its progress; inline `capi_resources` are refused (batches carry objects);
 * - `pivotBatch` decodes the batch and creates its objects (paused) through the target;
 * - `pivotUnpause` unpauses the copies, then reports PivotComplete on the stream;
 * - `pivotAbort` deletes the copies of a rolled-back pivot.
 * Unpause and abort of a pivot this agent never heard of fail (the cell re-sends
 * PivotCommand first), rather than guessing which namespace to touch.
 */
export function pivotHandlers(
  target: PivotTargetApi,
  options: PivotHandlersOptions = {},
): CommandHandlers {
  const limit = options.rememberedPivots ?? 64;
  const pivots = new Map<string, PivotState>();

  const remember = (pivotId: string, clusterName: string, namespace: string): PivotState => {
    let state = pivots.get(pivotId);
    if (!state || state.namespace !== namespace || state.clusterName !== clusterName) {
      state = { clusterName, namespace, batches: state?.batches ?? new Map() };
    }
    // Re-inserting keeps the map in least-recently-used order for the eviction below.
    pivots.delete(pivotId);
    pivots.set(pivotId, state);
    const oldest = pivots.keys().next();
    if (pivots.size > limit && !oldest.done) pivots.delete(oldest.value);
    return state;
  };

  const known = (pivotId: string, action: string): PivotState => {
    const state = pivots.get(pivotId);
    if (!state) {
      throw new Error(
        `Cannot ${action} pivot ${pivotId}: this agent does not know its cluster ` +
          "(send PivotCommand first)",
      );
    }
    return state;
  };

  const progress = (pivotId: string, batchIndex?: number): PivotBatchAck => {
    const batches = pivots.get(pivotId)?.batches ?? new Map<number, number>();
    let next = 0;
    while (batches.has(next)) next++;
    let objects = 0;
    for (const n of batches.values()) objects += n;
    return { pivotId, batchIndex, nextBatchIndex: next, objectsReceived: objects };
  };

  return {
    pivot: (command): CommandResult => {
      if (command.capiResources.length > 0) {
        throw new Error(
          `Cannot start pivot ${command.pivotId}: inline capi_resources are not supported; ` +
            "send PivotBatch messages",
        );
      }
      remember(command.pivotId, command.clusterName, command.capiNamespace);
      return { pivot: progress(command.pivotId) };
    },

    pivotBatch: async (command): Promise<CommandResult> => {
      const batch = fromWireBatch(command);
      await target.applyBatch(batch);
      remember(batch.pivotId, batch.clusterName, batch.namespace)
        .batches.set(batch.index, batch.entries.length);
      return { pivot: progress(batch.pivotId, batch.index) };
    },

    pivotUnpause: async (command, ctx): Promise<CommandResult> => {
      const state = known(command.pivotId, "unpause");
      const request = { pivotId: command.pivotId, ...ids(state) };
      try {
        await target.complete(request);
      } catch (error) {
        reportComplete(ctx, command.pivotId, (error as Error).message);
        throw error;
      }
      reportComplete(ctx, command.pivotId);
      return { pivot: progress(command.pivotId) };
    },

    pivotAbort: async (command): Promise<CommandResult> => {
      const state = known(command.pivotId, "abort");
      await target.abort({ pivotId: command.pivotId, ...ids(state), reason: command.reason });
      const answer = progress(command.pivotId);
      // The copies are gone: nothing of this pivot is held any more.
      pivots.delete(command.pivotId);
      return { pivot: { ...answer, nextBatchIndex: 0, objectsReceived: 0 } };
    },
  };
}

function ids(state: PivotState): { clusterName: string; namespace: string } {
  return { clusterName: state.clusterName, namespace: state.namespace };
}

/**
 * PivotComplete follows the CommandAck (the protocol's order): the dispatcher sends the ack
 * when the handler settles, so this waits one macrotask.
 */
function reportComplete(ctx: CommandContext, pivotId: string, error?: string): void {
  systemClock.setTimeout(() => {
    ctx.send({
      $case: "pivotComplete",
      value: { success: error === undefined, errorMessage: error ?? "", pivotId },
    });
  }, 0);
}
