/**
 * One Connect stream from the agent's side, from dial to end: AgentReady first, then
 * heartbeats, commands dispatched through the table, acks routed to whichever stream is
 * current when they finish.
 */
import type { ClientDuplexStream } from "@grpc/grpc-js";
import type { Logger } from "../log/mod.ts";
import type {
  AgentMessage,
  AgentState,
  CellCommand,
  ClusterHealth,
  Heartbeat,
  LatticeAgentClient,
} from "../proto/lattice/agent/v1/agent.ts";
import { type Clock, every, systemClock, valueWithin } from "../runtime/clock.ts";
import type { AgentPayload, CommandDispatcher } from "./handlers.ts";

/** Options for {@linkcode AgentStreamRun}. */
export interface StreamRunOptions {
  clusterName: string;
  agentVersion: string;
  kubernetesVersion?: () => Promise<string>;
  health: () => Promise<ClusterHealth>;
  state: () => AgentState;
  /** More heartbeat fields (the child's spec hash and status), read when each is sent. */
  heartbeatExtras?: () => Partial<
    Pick<Heartbeat, "specHash" | "clusterStatus" | "registrationsHash">
  >;
  heartbeatIntervalMs: number;
  /** ClusterHealth is re-sent about this often (besides on connect and StatusRequest). */
  healthIntervalMs: number;
  /** The cell is presumed gone after this many intervals without a message; default 3. */
  silentIntervals?: number;
  dispatcher: CommandDispatcher;
  /** Sends on the agent's current stream (which may be a later one than this). */
  route: (payload: AgentPayload) => boolean;
  signal: AbortSignal;
  logger: Logger;
  onEstablished: () => void;
  onHeartbeatAck: (sequence: number, rttMs: number) => void;
  /** Timers of heartbeats and answers; default the system clock. */
  clock?: Clock;
}

/** Least time a new stream waits for the cell's first answer before giving up on it. */
export const FIRST_ANSWER_MS = 60_000;

/** One stream; `done` resolves with the error that ended it (undefined for a clean end). */
export class AgentStreamRun {
  /** Resolves when the stream has ended. */
  readonly done: Promise<Error | undefined>;
  #established = false;
  readonly #call: ClientDuplexStream<AgentMessage, CellCommand>;
  readonly #o: StreamRunOptions;
  readonly #sentAt = new Map<number, number>();
  readonly #renewals = new Map<string, (answer: { cert?: string; error?: string }) => void>();
  #sequence = 0;
  #readingHealth = false;
  #lastHealth?: string;
  #lastHeard: number;
  #stopTicks?: () => void;
  readonly #clock: Clock;
  #ended = false;
  #drained?: Promise<void>;

  constructor(channel: LatticeAgentClient, options: StreamRunOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#lastHeard = this.#clock.now();
    this.#call = channel.connect();
    this.done = new Promise((resolve) => {
      const finish = (error?: Error) => {
        if (this.#ended) return;
        this.#ended = true;
        this.#stopTicks?.();
        for (const answer of this.#renewals.values()) answer({ error: "stream ended" });
        this.#renewals.clear();
        resolve(error);
      };
      this.#call.on("data", (command: CellCommand) => this.#receive(command));
      this.#call.on("error", (error: Error) => finish(error));
      this.#call.on("end", () => {
        finish();
        this.#call.end();
      });
      this.#call.on("close", () => finish());
    });
    this.#hello();
  }

  /** Whether the cell has answered on this stream (it accepted our identity). */
  get established(): boolean {
    return this.#established;
  }

  /** Writes one message; false once the stream has ended. */
  send(payload: AgentPayload): boolean {
    if (this.#ended) return false;
    try {
      this.#call.write({ clusterName: this.#o.clusterName, payload });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Resolves once the stream's write buffer has drained (at once when it has room, or when
   * the stream ended): senders of bulk data await it so a slow cell never grows our memory.
   */
  ready(): Promise<void> {
    const call = this.#call as unknown as { writableNeedDrain?: boolean };
    if (this.#ended || !call.writableNeedDrain) return Promise.resolve();
    // One pair of listeners however many senders wait.
    this.#drained ??= new Promise<void>((resolve) => {
      const done = () => {
        this.#call.off("drain", done);
        this.#call.off("close", done);
        this.#drained = undefined;
        resolve();
      };
      this.#call.on("drain", done);
      this.#call.on("close", done);
    });
    return this.#drained;
  }

  /** Asks the cell to sign `csrPem`; resolves with the certificate PEM. */
  requestCertificate(csrPem: string, timeoutMs: number): Promise<string> {
    const requestId = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(
        () => answer({ error: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
      const answer = (a: { cert?: string; error?: string }) => {
        this.#clock.clearTimeout(timer);
        this.#renewals.delete(requestId);
        if (a.cert) resolve(a.cert);
        else reject(new Error(`Cannot renew certificate: ${a.error}`));
      };
      this.#renewals.set(requestId, answer);
      if (!this.send({ $case: "certificateRenewal", value: { requestId, csrPem } })) {
        answer({ error: "stream ended" });
      }
    });
  }

  /** Ends the stream from our side. */
  cancel(): void {
    this.#call.cancel();
  }

  async #hello(): Promise<void> {
    // AgentReady must go out within the cell's hello timeout even if the local API hangs.
    const version = await valueWithin(this.#o.kubernetesVersion?.() ?? "", 5_000, "", this.#clock);
    const ready = this.send({
      $case: "ready",
      value: { agentVersion: this.#o.agentVersion, kubernetesVersion: version },
    });
    if (!ready) return;
    this.#heartbeat();
    if (this.#ended) return;
    this.#stopTicks = every(this.#clock, this.#o.heartbeatIntervalMs, () => this.#tick());
  }

  #tick(): void {
    const silentFor = this.#clock.now() - this.#lastHeard;
    // Keepalives catch dead TCP; this catches a cell that is connected but stuck. A stream
    // not yet answered gets at least a minute: a cell pacing a reconnect storm admits it
    // late, and cancelling it would only queue it again behind the others.
    const limit = this.#o.heartbeatIntervalMs * (this.#o.silentIntervals ?? 3);
    if (silentFor > (this.#established ? limit : Math.max(limit, FIRST_ANSWER_MS))) {
      this.#o.logger.warn("Cell silent, dropping stream", { silentMs: Math.round(silentFor) });
      this.cancel();
      return;
    }
    this.#heartbeat();
    // Health goes out first once the cell has answered (#receive); a tick before that would
    // send it a second time.
    if (!this.#established) return;
    const every = Math.max(1, Math.round(this.#o.healthIntervalMs / this.#o.heartbeatIntervalMs));
    this.#sendHealth(this.#sequence % every !== 0);
  }

  /** Sends a heartbeat now (e.g. the child's spec or status just changed). */
  heartbeatNow(): void {
    if (this.#established) this.#heartbeat();
  }

  #heartbeat(): void {
    const sequence = ++this.#sequence;
    this.#sentAt.set(sequence, performance.now());
    // Unanswered heartbeats must not accumulate on a stuck stream.
    if (this.#sentAt.size > 16) this.#sentAt.delete(this.#sentAt.keys().next().value!);
    this.send({
      $case: "heartbeat",
      value: {
        specHash: "",
        registrationsHash: "",
        ...this.#o.heartbeatExtras?.(),
        state: this.#o.state(),
        timestamp: new Date(),
        sequence,
      },
    });
  }

  #receive(command: CellCommand): void {
    this.#lastHeard = this.#clock.now();
    if (!this.#established) {
      this.#established = true;
      this.#o.onEstablished();
      this.#sendHealth();
    }
    const c = command.command;
    if (c?.$case === "heartbeatAck") {
      const sent = this.#sentAt.get(c.value.sequence);
      this.#sentAt.delete(c.value.sequence);
      if (sent !== undefined) this.#o.onHeartbeatAck(c.value.sequence, performance.now() - sent);
      return;
    }
    if (c?.$case === "certificateRenewal") {
      const { requestId, certificatePem, error } = c.value;
      this.#renewals.get(requestId)?.({ cert: certificatePem, error: error || "empty answer" });
      return;
    }
    const ctx = {
      clusterName: this.#o.clusterName,
      signal: this.#o.signal,
      send: (payload: AgentPayload) => void this.#o.route(payload),
      ready: () => this.ready(),
      logger: this.#o.logger.child({ command: c?.$case, commandId: command.commandId }),
    };
    this.#o.dispatcher.dispatch(command, ctx).then((ack) => {
      if (ack) this.#o.route({ $case: "ack", value: ack });
    });
  }

  /**
   * Reads the cluster's health and sends it; with `onlyIfChanged`, only when it differs
   * from what was last sent (so the parent sees scaling within a heartbeat, not an interval).
   */
  #sendHealth(onlyIfChanged = false): void {
    if (this.#readingHealth) return;
    this.#readingHealth = true;
    this.#o.health().then(
      (health) => {
        const key = JSON.stringify(health);
        if (onlyIfChanged && key === this.#lastHealth) return;
        if (this.send({ $case: "clusterHealth", value: health })) this.#lastHealth = key;
      },
      (error) => this.#o.logger.warn("Cannot read cluster health", { error }),
    ).finally(() => this.#readingHealth = false);
  }
}
