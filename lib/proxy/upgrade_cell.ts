/**
 * The cell's side of an upgraded proxied connection: once the child accepted the upgrade
 * (its apiserver answered 101 with a subprotocol), the caller's request is upgraded to a
 * WebSocket with that subprotocol and its messages are relayed (relay.ts).
 *
 * Backpressure: toward the caller, the child's messages are granted back only once the
 * socket's buffer is below a bound, so a caller that stops reading stops the child within a
 * window; from the caller, Deno's WebSocket cannot pause reading, so the cell's connection
 * front (https_guard.ts, `holdClient`) stops reading the caller's TCP bytes while more than
 * {@linkcode HOLD_QUEUED_BYTES} wait for the stream: TCP pushes back on the caller. Without
 * that front (a bare Deno.serve), or past {@linkcode MAX_QUEUED_BYTES} anyway, the caller is
 * closed with 1008 (policy): never buffered without bound.
 */
import type { RelaySink } from "./relay.ts";
import type { UpgradeAnswer } from "./upgrade.ts";

/** Bytes of the caller's messages queued for the stream before it is closed. */
export const MAX_QUEUED_BYTES = 16 << 20;
/** Bytes queued for the stream past which the caller's bytes are held (when possible). */
export const HOLD_QUEUED_BYTES = 1 << 20;
/** Bytes buffered by the caller's socket before the child's messages are held. */
export const MAX_SOCKET_BUFFER = 1 << 20;

/** WebSocket close codes a server may send (Deno refuses the others). */
function closeCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 4000 + (code % 1000);
}

async function drained(ws: WebSocket): Promise<void> {
  let wait = 1;
  while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > MAX_SOCKET_BUFFER) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 50);
  }
}

/** How long a close waits for the caller to take what was already sent. */
const CLOSE_FLUSH_MS = 10_000;

/** Resolves once `ws` has sent everything buffered (or is closed), at most after `limitMs`. */
async function flushed(ws: WebSocket, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  let wait = 1;
  while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 50);
  }
}

/** Upgrades `raw` and relays it through `answer` (a 101); returns the 101 response. */
export function acceptUpgrade(
  raw: Request,
  answer: UpgradeAnswer,
  holdClient?: (gate: () => Promise<void> | undefined) => void,
): Response {
  const relay = answer.relay!;
  const protocol = answer.headers["sec-websocket-protocol"];
  const { socket, response } = Deno.upgradeWebSocket(raw, protocol ? { protocol } : {});
  socket.binaryType = "arraybuffer";
  const opened = Promise.withResolvers<void>();
  socket.onopen = () => opened.resolve();
  const sink: RelaySink = {
    async message(opcode, data) {
      await opened.promise;
      if (socket.readyState !== WebSocket.OPEN) throw new Error("closed");
      socket.send(opcode === 1 ? new TextDecoder().decode(data) : data);
      await drained(socket);
    },
    close(code, reason) {
      opened.promise.then(async () => {
        // What was sent before the close reaches the caller first: closing with bytes still
        // buffered would cut the end of a port-forward or an exec's last output.
        await flushed(socket, CLOSE_FLUSH_MS);
        try {
          socket.close(closeCode(code), reason);
        } catch {
          socket.close();
        }
      });
    },
  };
  answer.attach(sink);
  let queued = 0;
  let sending = Promise.resolve();
  let released: PromiseWithResolvers<void> | undefined;
  holdClient?.(() => {
    if (queued <= HOLD_QUEUED_BYTES) return undefined;
    released ??= Promise.withResolvers<void>();
    return released.promise;
  });
  const release = () => {
    if (queued > HOLD_QUEUED_BYTES || !released) return;
    released.resolve();
    released = undefined;
  };
  socket.onmessage = (event: MessageEvent) => {
    const text = typeof event.data === "string";
    const data = text ? new TextEncoder().encode(event.data) : new Uint8Array(event.data);
    queued += data.length;
    if (queued > MAX_QUEUED_BYTES) {
      relay.close(1008, "the caller sends faster than the cluster reads");
      sink.close(1008, "Cannot relay: sending faster than the cluster reads");
      return;
    }
    sending = sending.then(async () => {
      await relay.send(text ? 1 : 2, data);
      queued -= data.length;
      release();
    });
  };
  relay.onEnd(() => {
    queued = 0;
    release();
  });
  socket.onclose = (event: CloseEvent) => {
    sending.then(() => relay.close(event.code === 1005 ? 1000 : event.code, event.reason));
  };
  socket.onerror = () => relay.close(1011, "the caller's connection failed");
  return response;
}
