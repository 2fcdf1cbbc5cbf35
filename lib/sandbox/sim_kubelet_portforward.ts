/**
 * The simulated kubelet's port-forward (sandbox only): the WebSocket tunnel
 * `SPDY/3.1+portforward.k8s.io` that kube-apiserver ≥ 1.36 proxies straight to a kubelet
 * declaring `ExtendWebSocketsToKubelet`, carrying SPDY/3.1 (spdy.ts) as a byte stream.
 * Each forwarded connection is a pair of streams sharing a `requestID` header: `error`
 * (a message if the port cannot be reached) and `data` (the bytes). The pod's port is
 * forwarded to a loopback listener: `127.0.0.1:{target(port)}`.
 */
import { dataFrame, HeaderDeflater, HeaderInflater, SPDY, SpdyReader, synReply } from "./spdy.ts";

/** The tunnelled subprotocol kubectl ≥ 1.31 asks for. */
export const PORT_FORWARD_PROTOCOL = "SPDY/3.1+portforward.k8s.io";

const CHUNK = 32 << 10;
const MAX_SOCKET_BUFFER = 4 << 20;

interface Pair {
  error?: number;
  data?: number;
  port?: number;
}

/** Serves one port-forward session on `socket`; `target` maps a pod port to a local one. */
export function servePortForward(
  socket: WebSocket,
  target: (port: number) => number,
  onEnd: () => void,
): void {
  socket.binaryType = "arraybuffer";
  const reader = new SpdyReader();
  const inflater = new HeaderInflater();
  const deflater = new HeaderDeflater();
  const pairs = new Map<string, Pair>();
  const conns = new Map<
    number,
    { conn?: Deno.Conn; writes: Promise<void>; connected: PromiseWithResolvers<void> }
  >();
  const send = async (bytes: Uint8Array) => {
    while (socket.readyState === WebSocket.OPEN && socket.bufferedAmount > MAX_SOCKET_BUFFER) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    if (socket.readyState === WebSocket.OPEN) socket.send(bytes);
  };
  const forward = async (pair: Required<Pair>) => {
    const entry = conns.get(pair.data)!;
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port: target(pair.port) });
    } catch (error) {
      const message = `simulated kubelet: cannot forward port ${pair.port}: ${
        (error as Error).message
      }`;
      await send(dataFrame(pair.error, new TextEncoder().encode(message), true));
      await send(dataFrame(pair.data, new Uint8Array(), true));
      entry.connected.reject(error);
      return;
    }
    entry.conn = conn;
    entry.connected.resolve();
    const buffer = new Uint8Array(CHUNK);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        await send(dataFrame(pair.data, buffer.slice(0, n), false));
      }
    } catch { /* reset: end the stream */ }
    await send(dataFrame(pair.data, new Uint8Array(), true));
    await send(dataFrame(pair.error, new Uint8Array(), true));
  };
  const onFrame = (frame: ReturnType<SpdyReader["next"]> & object) => {
    if (frame.kind === "data") {
      const entry = conns.get(frame.streamId);
      if (!entry) return;
      const data = frame.data;
      entry.writes = entry.writes.then(async () => {
        const conn = entry.conn!;
        for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
        if (frame.fin) await conn.closeWrite().catch(() => {});
      });
      entry.writes.catch(() => {});
      return;
    }
    const view = new DataView(frame.payload.buffer, frame.payload.byteOffset);
    if (frame.type === SPDY.synStream) {
      const streamId = view.getUint32(0) & 0x7fffffff;
      const headers = inflater.inflate(frame.payload.subarray(10));
      void send(synReply(streamId, deflater.deflate([])));
      const id = headers.get("requestid") ?? String(streamId);
      const pair = pairs.get(id) ?? {};
      pairs.set(id, pair);
      pair.port = Number(headers.get("port"));
      if (headers.get("streamtype") === "error") pair.error = streamId;
      else if (headers.get("streamtype") === "data") {
        pair.data = streamId;
        // Data written before the connection to the port exists waits for it.
        const connected = Promise.withResolvers<void>();
        connected.promise.catch(() => {});
        conns.set(streamId, { writes: connected.promise, connected });
      }
      if (pair.error !== undefined && pair.data !== undefined) {
        pairs.delete(id);
        void forward(pair as Required<Pair>);
      }
    } else if (frame.type === SPDY.ping) {
      void send(new Uint8Array([0x80, 3, 0, SPDY.ping, 0, 0, 0, 4, ...frame.payload]));
    } else if (frame.type === SPDY.rstStream) {
      const streamId = view.getUint32(0) & 0x7fffffff;
      try {
        conns.get(streamId)?.conn?.close();
      } catch { /* closed */ }
    } else if (frame.type === SPDY.goAway) {
      socket.close(1000);
    }
  };
  socket.onmessage = (event: MessageEvent) => {
    reader.push(new Uint8Array(event.data as ArrayBuffer));
    for (let frame = reader.next(); frame; frame = reader.next()) onFrame(frame);
  };
  socket.onclose = () => {
    for (const { conn } of conns.values()) {
      try {
        conn?.close();
      } catch { /* closed */ }
    }
    conns.clear();
    onEnd();
  };
}
