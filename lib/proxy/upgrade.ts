/**
 * Upgraded connections (WebSocket: `kubectl exec`, `attach`, `port-forward`) through the
 * proxy, the pieces both ends share:
 *
 * - {@linkcode DeferredSink}: a relay's peer may send before the local socket exists (the
 *   cell's first stdin frame races the agent's handshake with its apiserver); its messages
 *   wait — within the relay window, so bounded — until the socket is attached;
 * - {@linkcode RelayTable}: relays of one transport by request id, failed together when the
 *   stream carrying them drops;
 * - {@linkcode pumpTlsWebSocket}: the agent's side, a raw TLS connection to the apiserver
 *   framed as a WebSocket client (reads only as fast as the relay's window allows);
 * - {@linkcode bridgeRelays}: a nested hop joins the relay from its parent to the relay to
 *   its child, so window waits propagate end to end.
 */
import type { KubernetesStreamFrame } from "../proto/lattice/agent/v1/agent.ts";
import { FrameRelay, type RelaySink } from "./relay.ts";
import { closePayload, encodeFrame, FrameDecoder, OP, parseClose } from "./ws_codec.ts";

/** The head of an upgrade's answer, and the relay when it was accepted (status 101). */
export interface UpgradeAnswer {
  status: number;
  headers: Record<string, string>;
  /** The refusal's body (status ≠ 101). */
  body: Uint8Array;
  /** The relay to the child (status 101); attach the local socket with `attach`. */
  relay?: FrameRelay;
  /** Attaches the local socket (status 101). */
  attach(sink: RelaySink): void;
}

/** A sink that holds messages until the real one is attached. */
export class DeferredSink implements RelaySink {
  #sink?: RelaySink;
  #ready = Promise.withResolvers<RelaySink>();
  #closed?: { code: number; reason: string };

  /** Attaches the real sink; a close that came first is passed on at once. */
  attach(sink: RelaySink): void {
    this.#sink = sink;
    this.#ready.resolve(sink);
    if (this.#closed) sink.close(this.#closed.code, this.#closed.reason);
  }

  /** {@inheritDoc RelaySink.message} */
  async message(opcode: number, data: Uint8Array): Promise<void> {
    const sink = this.#sink ?? await this.#ready.promise;
    await sink.message(opcode, data);
  }

  /** {@inheritDoc RelaySink.close} */
  close(code: number, reason: string): void {
    if (this.#sink) this.#sink.close(code, reason);
    else this.#closed = { code, reason };
  }
}

/** The relays one transport end carries, by request id. */
export class RelayTable {
  readonly #relays = new Map<string, { relay: FrameRelay; scope: string }>();

  /** How many relays are open. */
  get size(): number {
    return this.#relays.size;
  }

  /** Creates a relay whose frames go out with `write`; forgotten when it ends. */
  open(
    requestId: string,
    scope: string,
    write: (frame: KubernetesStreamFrame) => void,
  ): { relay: FrameRelay; sink: DeferredSink } {
    const sink = new DeferredSink();
    const relay = new FrameRelay(requestId, (frame) => {
      try {
        write(frame);
      } catch {
        // The stream is gone: the transport fails the relay on its disconnect event.
      }
    }, sink);
    this.#relays.set(requestId, { relay, scope });
    relay.onEnd(() => {
      if (this.#relays.get(requestId)?.relay === relay) this.#relays.delete(requestId);
    });
    return { relay, sink };
  }

  /** Hands a peer frame to its relay; false when no relay of that id lives in `scope`. */
  deliver(frame: KubernetesStreamFrame, scope: string): boolean {
    const entry = this.#relays.get(frame.requestId);
    if (!entry || entry.scope !== scope) return false;
    entry.relay.deliver(frame);
    return true;
  }

  /** The relay of `requestId`, if open. */
  get(requestId: string): FrameRelay | undefined {
    return this.#relays.get(requestId)?.relay;
  }

  /**
   * Ends every relay of `scope` (all when absent) without telling the peer, except those
   * `keep` spares (e.g. relays carried by the stream that is current).
   */
  abortAll(reason: string, scope?: string, keep?: (requestId: string) => boolean): void {
    for (const [id, { relay, scope: s }] of [...this.#relays.entries()]) {
      if ((scope === undefined || s === scope) && !keep?.(id)) relay.abort(1011, reason);
    }
  }
}

/**
 * Relays a raw WebSocket connection (client side, after its 101) through `relay`: the
 * apiserver's messages are sent to the peer (reading pauses while the window is full), the
 * peer's are framed, masked and written. Pings are answered here; a close ends both.
 */
export function pumpTlsWebSocket(
  conn: Deno.Conn,
  first: Uint8Array,
  relay: FrameRelay,
  sink: DeferredSink,
): Promise<void> {
  let closed = false;
  const write = async (bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
  };
  const shut = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* closed */ }
  };
  // Writes are serialised (a pong must not interleave a data frame's bytes).
  let writing = Promise.resolve();
  const enqueue = (bytes: Uint8Array) => {
    const next = writing.then(() => write(bytes));
    writing = next.catch(() => {});
    return next;
  };
  sink.attach({
    message: (opcode, data) => enqueue(encodeFrame(opcode, data, true)),
    close: (code, reason) => {
      enqueue(encodeFrame(OP.close, closePayload(code, reason), true)).catch(() => {})
        .finally(shut);
    },
  });
  relay.onEnd(() => setTimeout(shut, 1_000));
  return (async () => {
    const decoder = new FrameDecoder();
    decoder.push(first);
    const buffer = new Uint8Array(64 << 10);
    try {
      while (!relay.ended) {
        let message = decoder.next();
        while (message) {
          if (message.opcode === OP.ping) {
            await enqueue(encodeFrame(OP.pong, message.data, true));
          } else if (message.opcode === OP.close) {
            const { code, reason } = parseClose(message.data);
            relay.close(code === 1005 ? 1000 : code, reason);
            return;
          } else if (message.opcode === OP.text || message.opcode === OP.binary) {
            await relay.send(message.opcode, message.data);
          }
          message = decoder.next();
        }
        const n = await conn.read(buffer);
        if (n === null) break;
        decoder.push(buffer.subarray(0, n));
      }
      // The apiserver ended the connection without a close frame.
      relay.close(1000, "");
    } catch (error) {
      relay.close(1011, `the apiserver connection failed: ${(error as Error).message}`);
    } finally {
      shut();
    }
  })();
}

/** Joins two relays of one connection (a nested hop): each one's messages go to the other. */
export function bridgeRelays(
  up: { relay: FrameRelay; sink: DeferredSink },
  down: { relay: FrameRelay; attach(sink: RelaySink): void },
): void {
  up.sink.attach({
    message: (opcode, data) => down.relay.send(opcode, data),
    close: (code, reason) => down.relay.close(code, reason),
  });
  down.attach({
    message: (opcode, data) => up.relay.send(opcode, data),
    close: (code, reason) => up.relay.close(code, reason),
  });
}
