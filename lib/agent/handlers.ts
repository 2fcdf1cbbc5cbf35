/**
 * The agent's command table: one handler per CellCommand case. The dispatcher turns every
 * outcome into exactly one acknowledgement per command id — an unknown command or a
 * throwing handler is an error ack, never a crash — and remembers recent ids so a command
 * the cell re-sends after a reconnect is answered again without being applied twice.
 */
import type { Logger } from "../log/mod.ts";
import type {
  AgentMessage,
  CellCommand,
  CommandAck,
  PivotBatchAck,
  UnpivotProgress,
} from "../proto/lattice/agent/v1/agent.ts";

/** A command payload: one case of CellCommand's oneof. */
export type CommandPayload = NonNullable<CellCommand["command"]>;
/** The name of a command case, e.g. `pivot`, `k8sRequest`. */
export type CommandCase = CommandPayload["$case"];
/** A message payload the agent sends: one case of AgentMessage's oneof. */
export type AgentPayload = NonNullable<AgentMessage["payload"]>;

/** What a handler gets besides its command. */
export interface CommandContext {
  clusterName: string;
  /** Empty for messages that are not acknowledged (e.g. k8sRequest). */
  commandId: string;
  /** Aborted when the agent stops. */
  signal: AbortSignal;
  /** Sends a message on the current stream (dropped while disconnected). */
  send(payload: AgentPayload): void;
  /**
   * Resolves once the stream has taken what was sent (its write buffer drained): a sender of
   * many messages (a proxied answer) awaits it between messages. Absent: no backpressure.
   */
  ready?(): Promise<void>;
  logger: Logger;
}

/** What a handler may add to its acknowledgement. */
export interface CommandResult {
  /** Pivot progress, for PivotCommand and PivotBatch. */
  pivot?: PivotBatchAck;
  /** Unpivot progress, for UnpivotCommand. */
  unpivot?: UnpivotProgress;
}

/** Handles one kind of command; throwing makes an error acknowledgement. */
export type CommandHandler<K extends CommandCase> = (
  command: Extract<CommandPayload, { $case: K }>["value"],
  ctx: CommandContext,
) => Promise<CommandResult | void> | CommandResult | void;

/** The handler table. Cases without a handler are answered with an error ack. */
export type CommandHandlers = { [K in CommandCase]?: CommandHandler<K> };

/** Options for {@linkcode CommandDispatcher}. */
export interface DispatcherOptions {
  /** Acknowledged command ids remembered for replay; default 1,000. */
  rememberedIds?: number;
}

/** Runs commands through a handler table; see the module doc. */
export class CommandDispatcher {
  readonly #handlers: CommandHandlers;
  readonly #done = new Map<string, Promise<CommandAck>>();
  readonly #limit: number;

  constructor(handlers: CommandHandlers, options: DispatcherOptions = {}) {
    this.#handlers = handlers;
    this.#limit = options.rememberedIds ?? 1_000;
  }

  /**
   * Runs `message` and resolves with its acknowledgement (undefined for messages without a
   * command id). The caller sends the ack on whatever stream is current by then.
   */
  dispatch(
    message: CellCommand,
    ctx: Omit<CommandContext, "commandId">,
  ): Promise<CommandAck | undefined> {
    const id = message.commandId;
    if (!id) {
      return this.#run(message.command, { ...ctx, commandId: "" }).then(
        () => undefined,
        (error) => {
          ctx.logger.warn("Command failed", { command: message.command?.$case, error });
          return undefined;
        },
      );
    }
    const seen = this.#done.get(id);
    if (seen) return seen;
    const ack = this.#run(message.command, { ...ctx, commandId: id }).then(
      (result): CommandAck => ({
        commandId: id,
        ok: true,
        error: "",
        pivot: result?.pivot,
        ...(result?.unpivot ? { unpivot: result.unpivot } : {}),
      }),
      (error: Error): CommandAck => ({ commandId: id, ok: false, error: error.message }),
    );
    this.#done.set(id, ack);
    if (this.#done.size > this.#limit) {
      this.#done.delete(this.#done.keys().next().value!);
    }
    return ack;
  }

  async #run(command: CommandPayload | undefined, ctx: CommandContext): Promise<CommandResult> {
    if (!command) {
      // A newer cell may send a command this agent's proto does not know.
      throw new Error("Cannot run command: unknown command type");
    }
    const handler = this.#handlers[command.$case] as CommandHandler<CommandCase> | undefined;
    if (!handler) throw new Error(`Cannot run command: no handler for ${command.$case}`);
    return (await handler(command.value as never, ctx)) ?? {};
  }
}
