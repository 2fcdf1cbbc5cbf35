/**
 * One upgraded proxied connection as seen by one end of the agent stream: WebSocket
 * messages go out as KubernetesStreamFrame with credit-based flow control, so neither end
 * ever holds more than a window of a relay's bytes whatever the speeds of its two sockets.
 *
 * - `send` waits while the peer holds a full window of our unacknowledged bytes;
 * - the peer's data is handed to the local sink, and its bytes are granted back once the
 *   sink took them (written to the socket), in grants of at least a quarter window;
 * - a close (either side) ends the relay; `onEnd` runs exactly once.
 */
import { Buffer } from "node:buffer";
import type { KubernetesStreamFrame } from "../proto/lattice/agent/v1/agent.ts";
import { OP } from "./ws_codec.ts";

/** Data bytes a side may have unacknowledged per relay. */
export const RELAY_WINDOW_BYTES = 1 << 20;

/** Where the peer's messages go (the local socket). */
export interface RelaySink {
  /** Writes one message; resolves once the bytes left (or are buffered within bounds). */
  message(opcode: number, data: Uint8Array): Promise<void>;
  /** The peer closed: close the local socket with this code. */
  close(code: number, reason: string): void;
}

/** Counts the relays open in this process (metric: open relays). */
export const relayStats = { open: 0, opened: 0 };

/** One relay end; see the module doc. */
export class FrameRelay {
  readonly requestId: string;
  readonly #write: (frame: KubernetesStreamFrame) => void;
  readonly #sink: RelaySink;
  readonly #window: number;
  #unacked = 0;
  #waiters: (() => void)[] = [];
  #consumed = 0;
  #delivering: Promise<void> = Promise.resolve();
  #ended = false;
  #onEnd: (() => void)[] = [];

  constructor(
    requestId: string,
    write: (frame: KubernetesStreamFrame) => void,
    sink: RelaySink,
    windowBytes = RELAY_WINDOW_BYTES,
  ) {
    this.requestId = requestId;
    this.#write = write;
    this.#sink = sink;
    this.#window = windowBytes;
    relayStats.open++;
    relayStats.opened++;
  }

  /** Whether the relay ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Runs `fn` once when the relay ends. */
  onEnd(fn: () => void): void {
    if (this.#ended) fn();
    else this.#onEnd.push(fn);
  }

  /** Sends one local message to the peer, waiting for window first. */
  async send(opcode: number, data: Uint8Array): Promise<void> {
    while (!this.#ended && this.#unacked >= this.#window) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#ended) return;
    this.#unacked += data.length;
    this.#frame({ opcode, data: Buffer.from(data.buffer, data.byteOffset, data.length) });
  }

  /** Ends the relay from this side: the peer is told to close with `code`. */
  close(code = 1000, reason = ""): void {
    if (this.#ended) return;
    this.#frame({ opcode: OP.close, closeCode: code, closeReason: reason.slice(0, 120) });
    this.#end();
  }

  /** Ends the relay without telling the peer (the stream is gone) and closes the sink. */
  abort(code: number, reason: string): void {
    if (this.#ended) return;
    this.#end();
    this.#sink.close(code, reason);
  }

  /** Handles one frame from the peer. */
  deliver(frame: KubernetesStreamFrame): void {
    if (this.#ended) return;
    if (frame.windowBytes > 0) {
      this.#unacked = Math.max(0, this.#unacked - frame.windowBytes);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
    if (frame.opcode === OP.close) {
      this.#end();
      this.#sink.close(frame.closeCode || 1000, frame.closeReason);
      return;
    }
    if (frame.opcode !== OP.text && frame.opcode !== OP.binary) return;
    const data = new Uint8Array(frame.data);
    // In order, one at a time: the sink's promise is the backpressure.
    this.#delivering = this.#delivering.then(async () => {
      if (this.#ended) return;
      try {
        await this.#sink.message(frame.opcode, data);
      } catch {
        this.close(1011, "the connection's socket failed");
        return;
      }
      this.#consumed += data.length;
      if (this.#consumed >= this.#window / 4 || data.length === 0) this.#grant();
    });
    // Nothing more queued behind this one: grant what was consumed, so a slow trickle
    // (an interactive shell) never stalls on an unfilled quarter window.
    const mark = this.#delivering;
    mark.then(() => {
      if (this.#delivering === mark && this.#consumed > 0) this.#grant();
    });
  }

  #grant(): void {
    if (this.#ended || this.#consumed === 0) return;
    const bytes = this.#consumed;
    this.#consumed = 0;
    this.#frame({ opcode: 0, windowBytes: bytes });
  }

  #frame(fields: Partial<KubernetesStreamFrame>): void {
    this.#write({
      requestId: this.requestId,
      opcode: fields.opcode ?? 0,
      data: fields.data ?? Buffer.alloc(0),
      closeCode: fields.closeCode ?? 0,
      closeReason: fields.closeReason ?? "",
      windowBytes: fields.windowBytes ?? 0,
    });
  }

  #end(): void {
    this.#ended = true;
    relayStats.open--;
    for (const wake of this.#waiters) wake();
    this.#waiters = [];
    for (const fn of this.#onEnd) fn();
    this.#onEnd = [];
  }
}
