/**
 * The cell's registry of connected agents: one live stream per child cluster, its last
 * heartbeat and version, and commands sent to it awaiting their acknowledgement.
 *
 * It knows nothing of gRPC or Kubernetes: the server attaches streams through
 * {@linkcode AgentStream}, and the status writer (registry_status.ts) listens to its events.
 */
import { latticeMetrics } from "../metrics/mod.ts";
import { type Logger, silentLogger } from "../log/mod.ts";
import type {
  AgentMessage,
  AgentState,
  CellCommand,
  ClusterHealth,
  CommandAck,
} from "../proto/lattice/agent/v1/agent.ts";
import { PendingCommands } from "./registry_commands.ts";

export { CommandFailedError } from "./registry_commands.ts";

/** The write side of one agent stream, as the registry needs it. */
export interface AgentStream {
  /** Queues one message to the agent. */
  write(command: CellCommand): void;
  /**
   * Resolves when the stream can take more (its send buffer drained, or it closed); absent,
   * the stream never pushes back.
   */
  ready?(): Promise<void>;
  /**
   * Queues one message and resolves once it left the stream's buffer (or the stream
   * closed); absent, {@linkcode AgentStream.ready} paces instead.
   */
  writeFlushed?(command: CellCommand): Promise<void>;
  /** Ends the stream, telling the agent why. */
  close(reason: string): void;
}

/** What the cell knows of one child's agent. */
export interface AgentInfo {
  clusterName: string;
  connected: boolean;
  connectedAt?: Date;
  disconnectedAt?: Date;
  lastHeartbeat?: Date;
  agentVersion?: string;
  kubernetesVersion?: string;
  state?: AgentState;
  health?: ClusterHealth;
}

/** Something that happened to an agent; see {@linkcode AgentRegistry.subscribe}. */
export type AgentEvent =
  | { type: "connected"; info: AgentInfo }
  | { type: "disconnected"; info: AgentInfo; reason: string; missedHeartbeats: boolean }
  | { type: "heartbeat"; info: AgentInfo }
  | { type: "health"; info: AgentInfo }
  | { type: "message"; clusterName: string; message: AgentMessage };

/** A command payload: one case of CellCommand's oneof. */
export type CommandPayload = NonNullable<CellCommand["command"]>;

/** One attached stream; stale handles (replaced streams) are ignored by the registry. */
export interface AgentSession {
  readonly id: number;
  readonly clusterName: string;
}

/** Options for {@linkcode AgentRegistry}. */
export interface AgentRegistryOptions {
  /** Expected heartbeat interval of agents; default 30 s. */
  heartbeatIntervalMs?: number;
  /** Heartbeats missed before a silent stream is closed as disconnected; default 3. */
  missedHeartbeats?: number;
  /** Default of {@linkcode SendCommandOptions.timeoutMs}; default 30 s. */
  commandTimeoutMs?: number;
  /** Clock in epoch ms, for tests. */
  now?: () => number;
  /** Command id generator; default random UUIDs. */
  newCommandId?: () => string;
  logger?: Logger;
}

/** Options for {@linkcode AgentRegistry.sendCommand}. */
export interface SendCommandOptions {
  /** Give up waiting for the acknowledgement after this long. */
  timeoutMs?: number;
  /** Reuse an id to retry a command without it being applied twice. */
  commandId?: string;
  signal?: AbortSignal;
}

interface Entry {
  info: AgentInfo;
  session?: AgentSession;
  stream?: AgentStream;
}

/** Connected clusters, their heartbeats, and commands awaiting acknowledgement. */
export class AgentRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new PendingCommands();
  readonly #listeners = new Set<(event: AgentEvent) => void>();
  readonly #now: () => number;
  readonly #newId: () => string;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #missed: number;
  readonly #timeoutMs: number;
  #nextSession = 1;
  /** Entries whose info says connected (kept so counting is O(1) with 10,000 agents). */
  #connected = 0;
  #timer?: ReturnType<typeof setInterval>;

  constructor(options: AgentRegistryOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#newId = options.newCommandId ?? (() => crypto.randomUUID());
    this.#log = options.logger ?? silentLogger;
    this.#intervalMs = options.heartbeatIntervalMs ?? 30_000;
    this.#missed = options.missedHeartbeats ?? 3;
    this.#timeoutMs = options.commandTimeoutMs ?? 30_000;
  }

  /** Listens to agent events; returns the unsubscribe function. */
  subscribe(listener: (event: AgentEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Checks heartbeats every interval until {@linkcode close}. */
  start(): void {
    this.#timer ??= setInterval(() => this.checkHeartbeats(), this.#intervalMs);
  }

  /**
   * Makes `stream` the cluster's live stream. An older stream of the same cluster is closed
   * first (a reconnecting agent replaces it), and unacknowledged commands are re-sent with
   * their ids so the agent applies each at most once.
   */
  attach(clusterName: string, stream: AgentStream): AgentSession {
    const entry = this.#entry(clusterName);
    const old = entry.stream;
    const session: AgentSession = { id: this.#nextSession++, clusterName };
    entry.session = session;
    entry.stream = stream;
    if (old) old.close("Replaced by a newer stream of the same cluster");
    const now = new Date(this.#now());
    if (!entry.info.connected) {
      this.#connected++;
      latticeMetrics.agentsConnected.inc();
    }
    entry.info = {
      ...entry.info,
      connected: true,
      connectedAt: now,
      lastHeartbeat: now,
      disconnectedAt: undefined,
    };
    this.#log.info("Agent connected", { cluster: clusterName, replaced: old !== undefined });
    this.#emit({ type: "connected", info: { ...entry.info } });
    this.#pending.resend(clusterName, stream);
    return session;
  }

  /** Marks the session's stream gone, unless a newer stream replaced it already. */
  detach(session: AgentSession, reason: string): void {
    this.#disconnect(session, reason, false);
  }

  /** Handles one message from the agent of `session`. */
  receive(session: AgentSession, message: AgentMessage): void {
    const entry = this.#entries.get(session.clusterName);
    if (!entry || entry.session !== session) return;
    const info = entry.info;
    const payload = message.payload;
    switch (payload?.$case) {
      case "ready":
        info.agentVersion = payload.value.agentVersion;
        info.kubernetesVersion = payload.value.kubernetesVersion;
        this.#emit({ type: "connected", info: { ...info } });
        break;
      case "heartbeat":
        if (info.lastHeartbeat) {
          const age = (this.#now() - info.lastHeartbeat.getTime()) / 1000;
          latticeMetrics.heartbeatAge.observe({}, age);
        }
        info.lastHeartbeat = new Date(this.#now());
        info.state = payload.value.state;
        entry.stream?.write({
          command: {
            $case: "heartbeatAck",
            value: { sequence: payload.value.sequence, received: info.lastHeartbeat },
          },
          commandId: "",
        });
        this.#emit({ type: "heartbeat", info: { ...info } });
        break;
      case "clusterHealth":
        info.health = payload.value;
        this.#emit({ type: "health", info: { ...info } });
        break;
      case "ack":
        this.#pending.settle(session.clusterName, payload.value);
        break;
    }
    this.#emit({ type: "message", clusterName: session.clusterName, message });
  }

  /** The cluster's agent, if it ever connected. */
  get(clusterName: string): AgentInfo | undefined {
    const entry = this.#entries.get(clusterName);
    return entry ? { ...entry.info } : undefined;
  }

  /** Every agent the registry has seen. */
  list(): AgentInfo[] {
    return [...this.#entries.values()].map((e) => ({ ...e.info }));
  }

  /** How many agents are connected now. */
  connectedCount(): number {
    return this.#connected;
  }

  /** Writes a message that is answered otherwise than by an ack (e.g. a proxied request). */
  send(clusterName: string, command: CellCommand): void {
    const entry = this.#entries.get(clusterName);
    if (!entry?.stream) throw new Error(`Cannot send to ${clusterName}: agent not connected`);
    entry.stream.write(command);
  }

  /**
   * Like {@linkcode send}, and resolves once the stream can take more: a caller writing
   * much (a streamed request body) awaits it so the cell never queues more than the
   * stream's buffer for one agent.
   */
  async sendPaced(clusterName: string, command: CellCommand): Promise<void> {
    const entry = this.#entries.get(clusterName);
    if (!entry?.stream) throw new Error(`Cannot send to ${clusterName}: agent not connected`);
    const stream = entry.stream;
    // One paced message at a time per caller, flushed before the next: a streamed body never
    // has more than one chunk queued ahead of other requests on the agent's stream, so
    // requests are not held behind someone's upload (fair to every caller of the stream).
    if (stream.writeFlushed) return await stream.writeFlushed(command);
    stream.write(command);
    await stream.ready?.();
  }

  /**
   * Sends a command and resolves with its acknowledgement; rejects with
   * {@linkcode CommandFailedError} when the agent answers `ok: false`, or after the timeout.
   * A stream that drops meanwhile does not fail it: the command is re-sent on reconnect.
   */
  sendCommand(
    clusterName: string,
    command: CommandPayload,
    options: SendCommandOptions = {},
  ): Promise<CommandAck> {
    const stream = this.#entries.get(clusterName)?.stream;
    if (!stream) {
      return Promise.reject(
        new Error(`Cannot send ${command.$case} to ${clusterName}: agent not connected`),
      );
    }
    const commandId = options.commandId ?? this.#newId();
    return this.#pending.add(clusterName, { command, commandId }, stream, {
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
      signal: options.signal,
    });
  }

  /**
   * Closes streams that have been silent for more than `missedHeartbeats` intervals (a
   * half-open connection looks alive to TCP) and returns their cluster names.
   */
  checkHeartbeats(): string[] {
    const limit = this.#intervalMs * this.#missed;
    const stale: string[] = [];
    for (const entry of this.#entries.values()) {
      const last = entry.info.lastHeartbeat?.getTime() ?? 0;
      const stream = entry.stream;
      if (entry.session && this.#now() - last > limit) {
        stale.push(entry.info.clusterName);
        // Disconnect first: closing the stream detaches it, which is no longer "missed".
        this.#disconnect(entry.session, `missed ${this.#missed} heartbeats`, true);
        stream?.close(`No heartbeat for ${this.#missed} intervals`);
      }
    }
    return stale;
  }

  /** Stops the heartbeat check, fails pending commands and closes every stream. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#pending.rejectAll("registry closed");
    for (const entry of this.#entries.values()) {
      const stream = entry.stream;
      if (!entry.session) continue;
      this.#disconnect(entry.session, "cell shutting down", false);
      stream?.close("Cell shutting down");
    }
  }

  #entry(clusterName: string): Entry {
    let entry = this.#entries.get(clusterName);
    if (!entry) {
      entry = { info: { clusterName, connected: false } };
      this.#entries.set(clusterName, entry);
    }
    return entry;
  }

  #disconnect(session: AgentSession, reason: string, missedHeartbeats: boolean): void {
    const entry = this.#entries.get(session.clusterName);
    if (!entry || entry.session !== session) return;
    entry.session = undefined;
    entry.stream = undefined;
    if (entry.info.connected) {
      this.#connected--;
      latticeMetrics.agentsConnected.inc({}, -1);
    }
    entry.info = { ...entry.info, connected: false, disconnectedAt: new Date(this.#now()) };
    this.#log.info("Agent disconnected", { cluster: session.clusterName, reason });
    this.#emit({ type: "disconnected", info: { ...entry.info }, reason, missedHeartbeats });
  }

  #emit(event: AgentEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.error("Agent event listener failed", { error, event: event.type });
      }
    }
  }
}
