/**
 * RFC 6455 framing for the agent's side of an upgraded proxy connection: the agent talks
 * WebSocket to its apiserver over a raw TLS connection (it must send one `Impersonate-Group`
 * line per group, which no WebSocket client API allows), so it frames and unframes itself.
 * Client frames are masked; server frames are not. Fragmented messages are reassembled.
 */
import { Buffer } from "node:buffer";

function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** Opcodes of RFC 6455 §5.2. */
export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Largest message accepted from a peer (kubectl and the apiserver send ≤ 32 KiB). */
export const MAX_MESSAGE_BYTES = 16 << 20;

/** One decoded message (control frames are never fragmented). */
export interface WsMessage {
  opcode: number;
  data: Uint8Array;
}

/** The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2). */
export async function acceptKey(key: string): Promise<string> {
  const bytes = new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  return encodeBase64(new Uint8Array(await crypto.subtle.digest("SHA-1", bytes)));
}

/** A fresh random `Sec-WebSocket-Key`. */
export function newKey(): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(16)));
}

/** Encodes one final frame; `mask` for client → server frames. */
export function encodeFrame(opcode: number, payload: Uint8Array, mask: boolean): Uint8Array {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const head = 2 + extra + (mask ? 4 : 0);
  const out = new Uint8Array(head + length);
  out[0] = 0x80 | opcode;
  const view = new DataView(out.buffer);
  if (extra === 0) out[1] = length;
  else if (extra === 2) {
    out[1] = 126;
    view.setUint16(2, length);
  } else {
    out[1] = 127;
    view.setBigUint64(2, BigInt(length));
  }
  if (!mask) {
    out.set(payload, head);
    return out;
  }
  out[1] |= 0x80;
  const key = crypto.getRandomValues(new Uint8Array(4));
  out.set(key, head - 4);
  for (let i = 0; i < length; i++) out[head + i] = payload[i] ^ key[i & 3];
  return out;
}

/** A close frame's payload: code and UTF-8 reason (≤ 123 bytes). */
export function closePayload(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, 123);
  const out = new Uint8Array(2 + text.length);
  new DataView(out.buffer).setUint16(0, code);
  out.set(text, 2);
  return out;
}

/** Reads a close frame's payload. */
export function parseClose(data: Uint8Array): { code: number; reason: string } {
  if (data.length < 2) return { code: 1005, reason: "" };
  const code = new DataView(data.buffer, data.byteOffset, data.length).getUint16(0);
  return { code, reason: new TextDecoder().decode(data.subarray(2)) };
}

/** Incremental decoder: feed bytes, take whole messages. */
export class FrameDecoder {
  #buffer = new Uint8Array(0);
  #fragments: Uint8Array[] = [];
  #fragmentOp = 0;
  #fragmentBytes = 0;

  /** Appends bytes read from the connection. */
  push(bytes: Uint8Array): void {
    if (this.#buffer.length === 0) {
      this.#buffer = bytes.slice();
      return;
    }
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    this.#buffer = joined;
  }

  /** The next whole message, or undefined until more bytes arrive. Throws on bad framing. */
  next(): WsMessage | undefined {
    while (true) {
      const b = this.#buffer;
      if (b.length < 2) return undefined;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let length = b[1] & 0x7f;
      let at = 2;
      const view = new DataView(b.buffer, b.byteOffset, b.length);
      if (length === 126) {
        if (b.length < 4) return undefined;
        length = view.getUint16(2);
        at = 4;
      } else if (length === 127) {
        if (b.length < 10) return undefined;
        const big = view.getBigUint64(2);
        if (big > BigInt(MAX_MESSAGE_BYTES)) throw new Error("WebSocket frame too large");
        length = Number(big);
        at = 10;
      }
      if (length > MAX_MESSAGE_BYTES) throw new Error("WebSocket frame too large");
      const keyAt = at;
      if (masked) at += 4;
      if (b.length < at + length) return undefined;
      const payload = b.slice(at, at + length);
      if (masked) {
        for (let i = 0; i < length; i++) payload[i] ^= b[keyAt + (i & 3)];
      }
      this.#buffer = b.subarray(at + length);
      if (opcode >= 8) return { opcode, data: payload };
      if (opcode !== OP.continuation) {
        this.#fragmentOp = opcode;
        this.#fragments = [];
        this.#fragmentBytes = 0;
      }
      this.#fragments.push(payload);
      this.#fragmentBytes += payload.length;
      if (this.#fragmentBytes > MAX_MESSAGE_BYTES) throw new Error("WebSocket message too large");
      if (!fin) continue;
      const parts = this.#fragments;
      this.#fragments = [];
      if (parts.length === 1) return { opcode: this.#fragmentOp, data: parts[0] };
      const data = new Uint8Array(this.#fragmentBytes);
      let offset = 0;
      for (const part of parts) {
        data.set(part, offset);
        offset += part.length;
      }
      return { opcode: this.#fragmentOp, data };
    }
  }
}
