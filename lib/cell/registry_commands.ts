/**
 * Commands sent to agents and not yet acknowledged: their timeouts, their re-sending on a
 * cluster's next stream (same id, so the agent applies each at most once), and settling
 * them from CommandAck.
 */
import type { CellCommand, CommandAck } from "../proto/lattice/agent/v1/agent.ts";

/** A command the agent acknowledged with `ok: false`. */
export class CommandFailedError extends Error {
  /** The agent's acknowledgement. */
  readonly ack: CommandAck;
  constructor(message: string, ack: CommandAck) {
    super(message);
    this.name = "CommandFailedError";
    this.ack = ack;
  }
}

/** Where a pending command is written. */
export interface CommandSink {
  write(command: CellCommand): void;
}

/** Options for {@linkcode PendingCommands.add}. */
export interface PendingOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Pending {
  clusterName: string;
  command: CellCommand;
  resolve(ack: CommandAck): void;
  reject(error: Error): void;
}

/** The registry's table of unacknowledged commands. */
export class PendingCommands {
  readonly #pending = new Map<string, Pending>();

  /**
   * Writes `command` to `sink` and resolves with its ack; rejects with
   * {@linkcode CommandFailedError} on `ok: false`, and on timeout or abort.
   */
  add(
    clusterName: string,
    command: CellCommand,
    sink: CommandSink,
    options: PendingOptions,
  ): Promise<CommandAck> {
    const what = `${command.command?.$case ?? "command"} on ${clusterName}`;
    const id = command.commandId;
    return new Promise<CommandAck>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(id);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Cannot run ${what}: no acknowledgement within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const onAbort = () => {
        finish();
        reject(new Error(`Cannot run ${what}: aborted`));
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, {
        clusterName,
        command,
        resolve: (ack) => {
          finish();
          if (ack.ok) resolve(ack);
          else reject(new CommandFailedError(`Cannot run ${what}: ${ack.error}`, ack));
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      sink.write(command);
    });
  }

  /** Writes every command still pending for `clusterName` to its new stream. */
  resend(clusterName: string, sink: CommandSink): void {
    for (const pending of this.#pending.values()) {
      if (pending.clusterName === clusterName) sink.write(pending.command);
    }
  }

  /** Settles the command `ack` answers, if it belongs to `clusterName`. */
  settle(clusterName: string, ack: CommandAck): void {
    const pending = this.#pending.get(ack.commandId);
    // An ack for another cluster's command id is ignored: ids are not secrets.
    if (pending?.clusterName === clusterName) pending.resolve(ack);
  }

  /** Fails every pending command. */
  rejectAll(reason: string): void {
    for (const pending of [...this.#pending.values()]) {
      pending.reject(new Error(`Cannot run command on ${pending.clusterName}: ${reason}`));
    }
  }
}
