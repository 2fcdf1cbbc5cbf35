/**
 * Enough SPDY/3.1 for the simulated kubelet's port-forward (sandbox only): Kubernetes still
 * speaks SPDY inside the WebSocket tunnel of `kubectl port-forward`
 * (`SPDY/3.1+portforward.k8s.io`). Frames: SYN_STREAM, SYN_REPLY, RST_STREAM, PING, GOAWAY
 * and DATA; SETTINGS and WINDOW_UPDATE are read and ignored (Go's spdystream, the only peer,
 * does no flow control: the tunnel's WebSocket and TCP carry the backpressure).
 *
 * Header blocks are zlib with the SPDY/3 dictionary (spec §2.6.10.1), one compression
 * context per direction per session. Incoming blocks are inflated by re-inflating the whole
 * context so far (they are few and small: two per forwarded connection); outgoing ones are
 * written as stored (uncompressed) deflate blocks, which any inflater reads.
 */
import { Buffer } from "node:buffer";
import zlib from "node:zlib";

/** The SPDY/3 header dictionary (spec §2.6.10.1), 1423 bytes. */
const DICTIONARY = Buffer.from(
  "AAAAB29wdGlvbnMAAAAEaGVhZAAAAARwb3N0AAAAA3B1dAAAAAZkZWxldGUAAAAFdHJhY2UAAAAGYWNjZXB0AAAADmFjY2VwdC1jaGFyc2V0AAAAD2FjY2VwdC1lbmNvZGluZwAAAA9hY2NlcHQtbGFuZ3VhZ2UAAAANYWNjZXB0LXJhbmdlcwAAAANhZ2UAAAAFYWxsb3cAAAANYXV0aG9yaXphdGlvbgAAAA1jYWNoZS1jb250cm9sAAAACmNvbm5lY3Rpb24AAAAMY29udGVudC1iYXNlAAAAEGNvbnRlbnQtZW5jb2RpbmcAAAAQY29udGVudC1sYW5ndWFnZQAAAA5jb250ZW50LWxlbmd0aAAAABBjb250ZW50LWxvY2F0aW9uAAAAC2NvbnRlbnQtbWQ1AAAADWNvbnRlbnQtcmFuZ2UAAAAMY29udGVudC10eXBlAAAABGRhdGUAAAAEZXRhZwAAAAZleHBlY3QAAAAHZXhwaXJlcwAAAARmcm9tAAAABGhvc3QAAAAIaWYtbWF0Y2gAAAARaWYtbW9kaWZpZWQtc2luY2UAAAANaWYtbm9uZS1tYXRjaAAAAAhpZi1yYW5nZQAAABNpZi11bm1vZGlmaWVkLXNpbmNlAAAADWxhc3QtbW9kaWZpZWQAAAAIbG9jYXRpb24AAAAMbWF4LWZvcndhcmRzAAAABnByYWdtYQAAABJwcm94eS1hdXRoZW50aWNhdGUAAAATcHJveHktYXV0aG9yaXphdGlvbgAAAAVyYW5nZQAAAAdyZWZlcmVyAAAAC3JldHJ5LWFmdGVyAAAABnNlcnZlcgAAAAJ0ZQAAAAd0cmFpbGVyAAAAEXRyYW5zZmVyLWVuY29kaW5nAAAAB3VwZ3JhZGUAAAAKdXNlci1hZ2VudAAAAAR2YXJ5AAAAA3ZpYQAAAAd3YXJuaW5nAAAAEHd3dy1hdXRoZW50aWNhdGUAAAAGbWV0aG9kAAAAA2dldAAAAAZzdGF0dXMAAAAGMjAwIE9LAAAAB3ZlcnNpb24AAAAISFRUUC8xLjEAAAADdXJsAAAABnB1YmxpYwAAAApzZXQtY29va2llAAAACmtlZXAtYWxpdmUAAAAGb3JpZ2luMTAwMTAxMjAxMjAyMjA1MjA2MzAwMzAyMzAzMzA0MzA1MzA2MzA3NDAyNDA1NDA2NDA3NDA4NDA5NDEwNDExNDEyNDEzNDE0NDE1NDE2NDE3NTAyNTA0NTA1MjAzIE5vbi1BdXRob3JpdGF0aXZlIEluZm9ybWF0aW9uMjA0IE5vIENvbnRlbnQzMDEgTW92ZWQgUGVybWFuZW50bHk0MDAgQmFkIFJlcXVlc3Q0MDEgVW5hdXRob3JpemVkNDAzIEZvcmJpZGRlbjQwNCBOb3QgRm91bmQ1MDAgSW50ZXJuYWwgU2VydmVyIEVycm9yNTAxIE5vdCBJbXBsZW1lbnRlZDUwMyBTZXJ2aWNlIFVuYXZhaWxhYmxlSmFuIEZlYiBNYXIgQXByIE1heSBKdW4gSnVsIEF1ZyBTZXB0IE9jdCBOb3YgRGVjIDAwOjAwOjAwIE1vbiwgVHVlLCBXZWQsIFRodSwgRnJpLCBTYXQsIFN1biwgR01UY2h1bmtlZCx0ZXh0L2h0bWwsaW1hZ2UvcG5nLGltYWdlL2pwZyxpbWFnZS9naWYsYXBwbGljYXRpb24veG1sLGFwcGxpY2F0aW9uL3hodG1sK3htbCx0ZXh0L3BsYWluLHRleHQvamF2YXNjcmlwdCxwdWJsaWNwcml2YXRlbWF4LWFnZT1nemlwLGRlZmxhdGUsc2RjaGNoYXJzZXQ9dXRmLThjaGFyc2V0PWlzby04ODU5LTEsdXRmLSwqLGVucT0wLg==",
  "base64",
);

/** Control frame types. */
export const SPDY = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** The FIN flag (data and SYN frames). */
export const FLAG_FIN = 1;

/** One decoded frame. */
export type SpdyFrame =
  | { kind: "data"; streamId: number; fin: boolean; data: Uint8Array }
  | { kind: "control"; type: number; flags: number; payload: Uint8Array };

function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Splits a byte stream into frames. */
export class SpdyReader {
  #buffer: Uint8Array = new Uint8Array(0);

  push(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    this.#buffer = joined;
  }

  next(): SpdyFrame | undefined {
    const b = this.#buffer;
    if (b.length < 8) return undefined;
    const view = new DataView(b.buffer, b.byteOffset, b.length);
    const length = view.getUint32(4) & 0xffffff;
    if (b.length < 8 + length) return undefined;
    const payload = b.slice(8, 8 + length);
    this.#buffer = b.subarray(8 + length);
    const flags = b[4];
    if (b[0] & 0x80) return { kind: "control", type: view.getUint16(2), flags, payload };
    return {
      kind: "data",
      streamId: view.getUint32(0) & 0x7fffffff,
      fin: (flags & FLAG_FIN) !== 0,
      data: payload,
    };
  }
}

/** Decodes the peer's header blocks (one context per session). */
export class HeaderInflater {
  #compressed: Uint8Array = new Uint8Array(0);
  #produced = 0;

  /** The name/value pairs of the next block. */
  inflate(block: Uint8Array): Map<string, string> {
    const joined = new Uint8Array(this.#compressed.length + block.length);
    joined.set(this.#compressed);
    joined.set(block, this.#compressed.length);
    this.#compressed = joined;
    const all = zlib.inflateSync(joined, {
      dictionary: DICTIONARY,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    const out = new Uint8Array(all.subarray(this.#produced));
    this.#produced = all.length;
    const view = new DataView(out.buffer);
    const headers = new Map<string, string>();
    const text = new TextDecoder();
    let at = 4;
    const count = view.getUint32(0);
    for (let i = 0; i < count; i++) {
      const nameLength = view.getUint32(at);
      const name = text.decode(out.subarray(at + 4, at + 4 + nameLength));
      at += 4 + nameLength;
      const valueLength = view.getUint32(at);
      headers.set(name, text.decode(out.subarray(at + 4, at + 4 + valueLength)));
      at += 4 + valueLength;
    }
    return headers;
  }
}

/** Encodes our header blocks as stored deflate blocks of one zlib stream. */
export class HeaderDeflater {
  #started = false;

  deflate(headers: [string, string][]): Uint8Array {
    const enc = new TextEncoder();
    const parts: number[] = [];
    const u32 = (n: number) =>
      parts.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    u32(headers.length);
    for (const [name, value] of headers) {
      const n = enc.encode(name.toLowerCase());
      const v = enc.encode(value);
      u32(n.length);
      parts.push(...n);
      u32(v.length);
      parts.push(...v);
    }
    const raw = Uint8Array.from(parts);
    const out: number[] = [];
    if (!this.#started) {
      this.#started = true;
      // CMF 0x78 (deflate, 32K window), FLG with FDICT; FCHECK makes CMF*256+FLG % 31 == 0.
      const flg = 0x20 + (31 - ((0x78 * 256 + 0x20) % 31)) % 31;
      out.push(0x78, flg);
      const id = adler32(DICTIONARY);
      out.push((id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255);
    }
    // One non-final stored block: BFINAL 0, BTYPE 00, then LEN and NLEN (little endian).
    out.push(0, raw.length & 255, raw.length >>> 8, ~raw.length & 255, (~raw.length >>> 8) & 255);
    out.push(...raw);
    // An empty stored block: the sync-flush marker after which an inflater hands out what
    // it holds (Go's flate keeps a stored block's bytes in its window until then).
    out.push(0, 0, 0, 0xff, 0xff);
    return Uint8Array.from(out);
  }
}

/** A control frame. */
export function controlFrame(type: number, flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0x8003);
  view.setUint16(2, type);
  view.setUint32(4, payload.length);
  out[4] = flags;
  out.set(payload, 8);
  return out;
}

/** A data frame. */
export function dataFrame(streamId: number, data: Uint8Array, fin: boolean): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, streamId & 0x7fffffff);
  view.setUint32(4, data.length);
  out[4] = fin ? FLAG_FIN : 0;
  out.set(data, 8);
  return out;
}

/** A SYN_REPLY for `streamId` with `block` (a HeaderDeflater output). */
export function synReply(streamId: number, block: Uint8Array): Uint8Array {
  const payload = new Uint8Array(4 + block.length);
  new DataView(payload.buffer).setUint32(0, streamId & 0x7fffffff);
  payload.set(block, 4);
  return controlFrame(SPDY.synReply, 0, payload);
}
