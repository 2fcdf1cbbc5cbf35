/**
 * The agent: dials its parent cell, keeps one stream up for ever (exponential backoff with
 * jitter between attempts), heartbeats, answers commands through the handler table and
 * rotates its client certificate before expiry. The child keeps working meanwhile: nothing
 * here blocks the operator's own reconcilers.
 */
import { every, systemClock } from "../runtime/clock.ts";
import { Buffer } from "node:buffer";
import { type Logger, silentLogger } from "../log/mod.ts";
import { LATTICE_VERSION } from "../version.ts";
import {
  AgentState,
  type ClusterHealth,
  type Heartbeat,
  type LatticeAgentClient,
} from "../proto/lattice/agent/v1/agent.ts";
import { backoffDelay, type BackoffOptions, reconnectDelay, sleep } from "./backoff.ts";
import { assertDialable, type ChannelSettings, openChannel } from "./channel.ts";
import { AgentStreamRun } from "./stream.ts";
import { hintedDelay, retryHintMs } from "./retry_hint.ts";
import { type AgentPayload, CommandDispatcher, type CommandHandlers } from "./handlers.ts";
import {
  acceptRenewedCertificate,
  type AgentCredentials,
  DEFAULT_RENEW_BEFORE_MS,
  prepareRenewal,
  renewalDue,
} from "./rotation.ts";

/** Something that happened to the agent's link; see {@linkcode AgentClient.subscribe}. */
export type AgentClientEvent =
  | { type: "connected"; attempt: number }
  | { type: "disconnected"; error?: string; retryInMs: number; attempt: number }
  | { type: "heartbeatAck"; sequence: number; rttMs: number }
  | { type: "renewed"; certPem: string };

/** Options for {@linkcode AgentClient}. */
export interface AgentClientOptions extends ChannelSettings {
  /** `host:port` of the parent's agent server: a DNS name, or an IP its certificate carries. */
  address: string;
  /** This cluster's name: the identity in its client certificate. */
  clusterName: string;
  credentials: AgentCredentials;
  handlers?: CommandHandlers;
  /** Default {@linkcode LATTICE_VERSION}. */
  agentVersion?: string;
  /** The child's Kubernetes version, sent in AgentReady. */
  kubernetesVersion?: () => Promise<string>;
  /** Answers StatusRequest and is sent on connect; default 0/0 nodes. */
  health?: () => Promise<ClusterHealth>;
  /** Reported in heartbeats; default READY. */
  state?: () => AgentState;
  /** More heartbeat fields (spec hash, the child's status), read as each is sent. */
  heartbeatExtras?: () => Partial<
    Pick<Heartbeat, "specHash" | "clusterStatus" | "registrationsHash">
  >;
  /** Default 30 s. */
  heartbeatIntervalMs?: number;
  /** How often ClusterHealth is re-sent unasked; default 5 min. */
  healthIntervalMs?: number;
  /** Reconnect delays; default 1 s doubling to 2 min, with jitter. */
  backoff?: BackoffOptions;
  /** Renew the client certificate this long before it expires; default 10 days. */
  renewBeforeMs?: number;
  /** How often expiry is checked; default 1 h (and on every connect). */
  renewCheckIntervalMs?: number;
  /** Persists rotated credentials (e.g. into the parent Secret) before they are used. */
  onCredentials?: (credentials: AgentCredentials) => Promise<void>;
  now?: () => number;
  logger?: Logger;
}

/** The outbound agent; see the module doc. */
export class AgentClient {
  readonly #o: AgentClientOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #dispatcher: CommandDispatcher;
  readonly #listeners = new Set<(event: AgentClientEvent) => void>();
  readonly #stop = new AbortController();
  #credentials: AgentCredentials;
  #channel?: LatticeAgentClient;
  #channelCredentials?: AgentCredentials;
  #stream?: AgentStreamRun;
  #loop?: Promise<void>;
  #renewing?: Promise<string>;
  #renewTimer?: () => void;

  constructor(options: AgentClientOptions) {
    assertDialable(options.address);
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child({ cluster: options.clusterName });
    this.#now = options.now ?? Date.now;
    this.#credentials = options.credentials;
    const health = options.health ?? (() => Promise.resolve(EMPTY_HEALTH));
    this.#dispatcher = new CommandDispatcher({
      ...defaultHandlers(health),
      ...options.handlers,
    });
  }

  /** The credentials in use (rotated ones once renewed). */
  get credentials(): AgentCredentials {
    return this.#credentials;
  }

  /** Whether a stream is up and the cell has answered on it. */
  get connected(): boolean {
    return this.#stream?.established ?? false;
  }

  /** Listens to link events; returns the unsubscribe function. */
  subscribe(listener: (event: AgentClientEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the connect loop (idempotent). */
  start(): void {
    this.#loop ??= this.#run();
    this.#renewTimer ??= every(
      systemClock,
      this.#o.renewCheckIntervalMs ?? 3_600_000,
      () => this.#maybeRenew(),
    );
  }

  /** Ends the stream and the loop; resolves when everything is closed. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#renewTimer?.();
    this.#stream?.cancel();
    await this.#loop;
    await this.#renewing?.catch(() => {});
    this.#channel?.close();
    this.#channel = undefined;
  }

  /** Sends a heartbeat now on the current stream (no-op while disconnected). */
  heartbeatNow(): void {
    this.#stream?.heartbeatNow();
  }

  /** Sends a message on the current stream; false while disconnected. */
  send(payload: AgentPayload): boolean {
    return this.#stream?.send(payload) ?? false;
  }

  /**
   * Rotates the client certificate now: new key and CSR, signed by the cell over the live
   * stream. The stream keeps running on the old certificate; the next connection uses the
   * new one.
   */
  renewCertificate(): Promise<string> {
    this.#renewing ??= this.#renew().finally(() => this.#renewing = undefined);
    return this.#renewing;
  }

  async #renew(): Promise<string> {
    const stream = this.#stream;
    if (!stream?.established) throw new Error("Cannot renew certificate: not connected");
    const { csrPem, keyPem } = await prepareRenewal(this.#o.clusterName);
    const certPem = await stream.requestCertificate(csrPem, 60_000);
    acceptRenewedCertificate(this.#o.clusterName, certPem, this.#now());
    const next = { ...this.#credentials, certPem, keyPem };
    await this.#o.onCredentials?.(next);
    // The open stream keeps its TLS session; the next connection uses the new certificate.
    this.#credentials = next;
    this.#log.info("Rotated client certificate");
    this.#emit({ type: "renewed", certPem });
    return certPem;
  }

  #maybeRenew(): void {
    const before = this.#o.renewBeforeMs ?? DEFAULT_RENEW_BEFORE_MS;
    if (!this.connected || !renewalDue(this.#credentials.certPem, this.#now(), before)) return;
    this.renewCertificate().catch((error) => {
      this.#log.warn("Cannot rotate client certificate yet", { error });
    });
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stop.signal.aborted) {
      let error: Error | undefined;
      let wasEstablished = false;
      try {
        // A bad certificate or address must not end the loop: it is retried like any failure.
        const run = new AgentStreamRun(this.#currentChannel(), {
          clusterName: this.#o.clusterName,
          agentVersion: this.#o.agentVersion ?? LATTICE_VERSION,
          kubernetesVersion: this.#o.kubernetesVersion,
          health: this.#o.health ?? (() => Promise.resolve(EMPTY_HEALTH)),
          state: this.#o.state ?? (() => AgentState.AGENT_STATE_READY),
          heartbeatExtras: this.#o.heartbeatExtras,
          heartbeatIntervalMs: this.#o.heartbeatIntervalMs ?? 30_000,
          healthIntervalMs: this.#o.healthIntervalMs ?? 300_000,
          dispatcher: this.#dispatcher,
          route: (payload) => this.send(payload),
          signal: this.#stop.signal,
          logger: this.#log,
          onEstablished: () => {
            this.#emit({ type: "connected", attempt });
            attempt = 0;
            this.#maybeRenew();
          },
          onHeartbeatAck: (sequence, rttMs) =>
            this.#emit({ type: "heartbeatAck", sequence, rttMs }),
        });
        this.#stream = run;
        error = await run.done;
        wasEstablished = run.established;
      } catch (cause) {
        error = cause as Error;
      }
      this.#stream = undefined;
      if (this.#stop.signal.aborted) break;
      // A cell pacing a storm says when to come back; a lost stream comes back spread over
      // a few seconds (the whole fleet lost it too); otherwise, exponential backoff.
      const hint = retryHintMs(error);
      const retryInMs = hint !== undefined
        ? hintedDelay(hint, this.#o.backoff?.random)
        : wasEstablished
        ? reconnectDelay(this.#o.backoff)
        : backoffDelay(attempt, this.#o.backoff);
      this.#log.warn("Agent stream down, retrying", { error, retryInMs, attempt });
      this.#emit({ type: "disconnected", error: error?.message, retryInMs, attempt });
      // The exponential schedule starts after the spread retry, and a hint does not grow it.
      if (hint === undefined && !wasEstablished) attempt++;
      await sleep(retryInMs, this.#stop.signal);
    }
  }

  /**
   * The channel is kept across attempts: closing a channel sends GOAWAY, and Deno's HTTP/2
   * can abort a process that receives GOAWAYs under load (denoland/deno#36788), so the cell
   * should see as few as possible. A rotated certificate gets a new channel.
   */
  #currentChannel(): LatticeAgentClient {
    if (this.#channel && this.#channelCredentials === this.#credentials) return this.#channel;
    this.#channel?.close();
    this.#channelCredentials = this.#credentials;
    const backoff = this.#o.backoff ?? {};
    this.#channel = openChannel(this.#o.address, this.#credentials, {
      ...this.#o,
      reconnectInitialMs: backoff.initialMs ?? 1_000,
      reconnectMaxMs: backoff.maxMs ?? 120_000,
    });
    return this.#channel;
  }

  #emit(event: AgentClientEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.error("Agent event listener failed", { error });
      }
    }
  }
}

const EMPTY_HEALTH: ClusterHealth = { readyNodes: 0, totalNodes: 0, conditions: [] };

/**
 * Handlers every agent has unless the table overrides them: StatusRequest answers with
 * ClusterHealth, and a proxied request with no proxy installed gets a 501 instead of
 * hanging the caller.
 */
export function defaultHandlers(health: () => Promise<ClusterHealth>): CommandHandlers {
  return {
    statusRequest: async (_, ctx) => {
      ctx.send({ $case: "clusterHealth", value: await health() });
    },
    k8sRequest: (request, ctx) => {
      ctx.send({
        $case: "k8sResponse",
        value: {
          requestId: request.requestId,
          status: 501,
          headers: { "content-type": "text/plain" },
          body: Buffer.from("Cannot proxy: this agent has no Kubernetes proxy"),
          endOfStream: true,
        },
      });
    },
  };
}
