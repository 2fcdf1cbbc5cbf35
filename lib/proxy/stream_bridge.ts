/**
 * The proxy over the agent stream. Cell side: {@linkcode StreamTransport} writes
 * KubernetesRequest/KubernetesCancel through the agent registry and demultiplexes
 * KubernetesResponse frames by request id. Agent side: {@linkcode proxyHandlers} plugs a
 * {@linkcode ProxyExecutor} into the agent's command table.
 *
 * No head-of-line blocking: frames are handed to per-request buffers without waiting for the
 * HTTP client, so a slow watch consumer never delays the frames of other requests; a
 * consumer that falls too far behind has its own request cancelled.
 */
import type { AgentClient, CommandHandlers } from "../agent/mod.ts";
import type { AgentEvent, AgentRegistry } from "../cell/registry.ts";
import type { KubernetesRequest } from "../proto/lattice/agent/v1/agent.ts";
import { pumpBody } from "./body_pump.ts";
import type { ProxyExecutor } from "./executor.ts";
import {
  type ClusterState,
  ClusterUnavailableError,
  type OpenOptions,
  type ProxiedResponse,
  type ProxyTransport,
  ResponseAssembler,
  upgradeAnswer,
} from "./transport.ts";
import { RelayTable, type UpgradeAnswer } from "./upgrade.ts";

/** Options for {@linkcode StreamTransport}. */
export interface StreamTransportOptions {
  /** See {@linkcode ResponseAssemblerOptions.maxBufferedBytes}. */
  maxBufferedBytes?: number;
  /**
   * Whether a cluster that never connected is known (e.g. a LatticeCluster exists for it):
   * known clusters answer 503 while disconnected, unknown ones 404. Default: never.
   */
  isKnown?: (cluster: string) => boolean;
  /** Request id generator; default random UUIDs. */
  newRequestId?: () => string;
}

interface InFlight {
  cluster: string;
  /** When the stream that carries it connected: a newer stream means this one is dead. */
  generation?: number;
  assembler: ResponseAssembler;
  signal?: AbortSignal;
  onAbort: () => void;
  /** Resolves when the request is forgotten (ended, cancelled, stream lost). */
  closed: Promise<void>;
  onClosed: () => void;
}

/** A {@linkcode ProxyTransport} over the agents' streams; `close()` when done. */
export class StreamTransport implements ProxyTransport {
  readonly #registry: AgentRegistry;
  readonly #options: StreamTransportOptions;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #unsubscribe: () => void;
  readonly #relays = new RelayTable();
  readonly #relayGenerations = new Map<string, number | undefined>();

  constructor(registry: AgentRegistry, options: StreamTransportOptions = {}) {
    this.#registry = registry;
    this.#options = options;
    this.#unsubscribe = registry.subscribe((event) => this.#onEvent(event));
  }

  /** How many proxied requests are open. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** How many upgraded connections (exec, attach, port-forward) are open. */
  get openRelays(): number {
    return this.#relays.size;
  }

  /** {@inheritDoc ProxyTransport.openUpgrade} */
  openUpgrade(
    cluster: string,
    request: KubernetesRequest,
    options: OpenOptions = {},
  ): Promise<UpgradeAnswer> {
    const requestId = this.#options.newRequestId?.() ?? crypto.randomUUID();
    // The stream that carries it: a newer stream of the cluster means this relay died.
    const generation = this.#registry.get(cluster)?.connectedAt?.getTime();
    this.#relayGenerations.set(requestId, generation);
    const opened = this.#relays.open(requestId, cluster, (frame) =>
      this.#registry.send(cluster, {
        command: { $case: "k8sStream", value: frame },
        commandId: "",
      }));
    opened.relay.onEnd(() => this.#relayGenerations.delete(requestId));
    return upgradeAnswer(
      this.#open(cluster, { ...request, upgrade: true }, options, requestId),
      opened,
    );
  }

  /** {@inheritDoc ProxyTransport.state} */
  state(cluster: string): ClusterState {
    const info = this.#registry.get(cluster);
    if (info?.connected) return "connected";
    if (info || this.#options.isKnown?.(cluster)) return "disconnected";
    return "unknown";
  }

  /** {@inheritDoc ProxyTransport.open} */
  open(
    cluster: string,
    request: KubernetesRequest,
    options: OpenOptions = {},
  ): Promise<ProxiedResponse> {
    return this.#open(
      cluster,
      request,
      options,
      this.#options.newRequestId?.() ?? crypto.randomUUID(),
    );
  }

  #open(
    cluster: string,
    request: KubernetesRequest,
    options: OpenOptions,
    requestId: string,
  ): Promise<ProxiedResponse> {
    const state = this.state(cluster);
    if (state !== "connected") {
      return Promise.reject(
        new ClusterUnavailableError(`Cannot reach cluster ${cluster}: ${state}`, state),
      );
    }
    const assembler = new ResponseAssembler({
      maxBufferedBytes: this.#options.maxBufferedBytes,
      onCancel: () => this.#cancel(requestId),
    });
    const onAbort = () => assembler.abort();
    let onClosed = () => {};
    const closed = new Promise<void>((resolve) => onClosed = resolve);
    this.#inFlight.set(requestId, {
      cluster,
      generation: this.#registry.get(cluster)?.connectedAt?.getTime(),
      assembler,
      signal: options.signal,
      onAbort,
      closed,
      onClosed,
    });
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      this.#registry.send(cluster, {
        command: {
          $case: "k8sRequest",
          value: { ...request, requestId, bodyFollows: !!options.body },
        },
        commandId: "",
      });
    } catch (cause) {
      this.#forget(requestId);
      return Promise.reject(
        new ClusterUnavailableError(
          `Cannot reach cluster ${cluster}: disconnected`,
          "disconnected",
          {
            cause,
          },
        ),
      );
    }
    if (options.body) this.#sendBody(cluster, requestId, options.body);
    return assembler.response;
  }

  /** How many requests are streaming their body to a child now. */
  get bodiesInFlight(): number {
    return this.#bodies;
  }

  #bodies = 0;

  #sendBody(cluster: string, requestId: string, body: ReadableStream<Uint8Array>): void {
    const entry = this.#inFlight.get(requestId);
    if (!entry) return;
    const open = () => this.#inFlight.get(requestId) === entry;
    this.#bodies++;
    pumpBody(requestId, body, {
      open,
      ended: entry.closed,
      // Waits for the stream to drain, or for the request to end (client gone, answer in).
      write: (chunk) =>
        Promise.race([
          this.#registry.sendPaced(cluster, {
            command: { $case: "k8sRequestBody", value: chunk },
            commandId: "",
          }),
          entry.closed,
        ]),
    }).catch((error: Error) => {
      if (!open()) return;
      entry.assembler.fail(error);
      this.#cancel(requestId);
    }).finally(() => this.#bodies--);
  }

  /** Fails every open request and stops listening to the registry. */
  close(): void {
    this.#unsubscribe();
    this.#relays.abortAll("the proxy is closing");
    for (const [id, entry] of this.#inFlight) {
      entry.assembler.fail(new Error("Cannot relay response: the proxy is closing"));
      this.#forget(id);
    }
  }

  #onEvent(event: AgentEvent): void {
    if (event.type === "message") {
      const payload = event.message.payload;
      if (payload?.$case === "k8sStream") {
        this.#relays.deliver(payload.value, event.clusterName);
        return;
      }
      if (payload?.$case !== "k8sResponse") return;
      const entry = this.#inFlight.get(payload.value.requestId);
      // A frame from another cluster's stream for this id is ignored: ids are not secrets.
      if (!entry || entry.cluster !== event.clusterName) return;
      if (!entry.assembler.push(payload.value)) this.#forget(payload.value.requestId);
    } else if (event.type === "disconnected" || event.type === "connected") {
      // A reconnecting agent replaces its stream without a "disconnected" event; requests
      // carried by the old stream died with it (the agent cancels them on its side).
      const cluster = event.info.clusterName;
      const generation = event.type === "connected" ? event.info.connectedAt?.getTime() : NaN;
      // Upgraded connections die with the stream that carried them (an AgentReady on the
      // same stream is a "connected" event too: those relays live on).
      this.#relays.abortAll(
        `Cannot reach cluster ${cluster}: stream lost`,
        cluster,
        (id) => this.#relayGenerations.get(id) === generation,
      );
      for (const [id, entry] of this.#inFlight) {
        if (entry.cluster !== cluster || entry.generation === generation) continue;
        entry.assembler.fail(
          new ClusterUnavailableError(
            `Cannot reach cluster ${cluster}: stream lost`,
            "disconnected",
          ),
        );
        this.#forget(id);
      }
    }
  }

  #cancel(requestId: string): void {
    const entry = this.#inFlight.get(requestId);
    if (!entry) return;
    this.#forget(requestId);
    try {
      this.#registry.send(entry.cluster, {
        command: { $case: "k8sCancel", value: { requestId } },
        commandId: "",
      });
    } catch {
      // Disconnected: the agent cancels everything of a stream that drops.
    }
  }

  #forget(requestId: string): void {
    const entry = this.#inFlight.get(requestId);
    entry?.signal?.removeEventListener("abort", entry.onAbort);
    entry?.onClosed();
    this.#inFlight.delete(requestId);
  }
}

/**
 * The agent's handlers for proxied requests: merge them into the AgentClient's `handlers`.
 * Requests run concurrently; the handler returns at once so the next command is not held.
 */
export function proxyHandlers(executor: ProxyExecutor): CommandHandlers {
  return {
    k8sRequest: (request, ctx) => {
      executor.execute(
        request,
        (frame) => ctx.send({ $case: "k8sResponse", value: frame }),
        (frame) => ctx.send({ $case: "k8sStream", value: frame }),
        ctx.ready ? () => ctx.ready!() : undefined,
      );
    },
    k8sStream: (frame) => {
      executor.frame(frame);
    },
    k8sCancel: (cancel) => {
      executor.cancel(cancel.requestId);
    },
    k8sRequestBody: (chunk) => {
      executor.body(chunk);
    },
  };
}

/**
 * Cancels every proxied request on the child when the agent's stream drops (their cell-side
 * callers are gone with it, and a watch must not run on for nobody). Returns the
 * unsubscribe function.
 */
export function cancelProxyOnDisconnect(client: AgentClient, executor: ProxyExecutor): () => void {
  return client.subscribe((event) => {
    if (event.type === "disconnected") executor.cancelAll();
  });
}
