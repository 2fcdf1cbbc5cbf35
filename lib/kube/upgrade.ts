/**
 * Opens an HTTP/1.1 upgrade (WebSocket) to an apiserver on a raw TLS connection, with the
 * request's headers written line by line (one `Impersonate-Group` line per group, which
 * neither `fetch` nor `WebSocket` can send). Resolves once the response head is read: a 101
 * hands over the connection (and any bytes read past the head); any other status comes with
 * its body read whole (bounded), so the caller can relay the apiserver's Status.
 */
import type { Connection } from "./config.ts";

/** Options for {@linkcode openUpgrade}. */
export interface UpgradeRequest {
  method: string;
  /** Path with query. */
  path: string;
  /** Header lines in order; a name may repeat. Host, Connection and Upgrade are added. */
  headers: [string, string][];
  signal?: AbortSignal;
  /** Time to get the response head; default 30 s. */
  timeoutMs?: number;
}

/** The apiserver's answer to an upgrade. */
export interface UpgradeResponse {
  status: number;
  /** Lowercased names; repeated ones joined by ", ". */
  headers: Record<string, string>;
  /** The upgraded connection (status 101 only). */
  conn?: Deno.TlsConn;
  /** Bytes after the head: the first frames (101) or the body (other statuses). */
  rest: Uint8Array;
}

const MAX_HEAD_BYTES = 64 << 10;
const MAX_ERROR_BODY_BYTES = 256 << 10;

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Opens `request` as an upgrade on the server of `conn`; see the module doc. */
export async function openUpgrade(
  conn: Connection,
  request: UpgradeRequest,
): Promise<UpgradeResponse> {
  const url = new URL(conn.server);
  const tls = await Deno.connectTls({
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || 443),
    caCerts: conn.caPem ? [conn.caPem] : undefined,
    ...(conn.certPem && conn.keyPem ? { cert: conn.certPem, key: conn.keyPem } : {}),
  });
  const timer = setTimeout(() => tls.close(), request.timeoutMs ?? 30_000);
  const onAbort = () => {
    try {
      tls.close();
    } catch { /* closed */ }
  };
  request.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const lines = [`${request.method} ${request.path} HTTP/1.1`, `Host: ${url.host}`];
    const auth = await conn.authorization();
    if (auth) lines.push(`Authorization: ${auth}`);
    for (const [name, value] of request.headers) {
      if (/[\r\n]/.test(name + value)) throw new Error("Cannot upgrade: a header has a newline");
      lines.push(`${name}: ${value}`);
    }
    const head = new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
    for (let at = 0; at < head.length;) at += await tls.write(head.subarray(at));
    let buffer: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(16 << 10);
    let end = -1;
    while (end < 0) {
      const n = await tls.read(chunk);
      if (n === null) throw new Error("Cannot upgrade: the apiserver closed the connection");
      buffer = concat(buffer, chunk.subarray(0, n));
      if (buffer.length > MAX_HEAD_BYTES) {
        throw new Error("Cannot upgrade: response head too large");
      }
      end = indexOfHeadEnd(buffer);
    }
    const text = new TextDecoder().decode(buffer.subarray(0, end - 4));
    const [statusLine, ...headerLines] = text.split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    if (!Number.isInteger(status)) throw new Error(`Cannot upgrade: bad status line`);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
    }
    let rest: Uint8Array = buffer.subarray(end);
    if (status === 101) return { status, headers, conn: tls, rest };
    // A refusal: read its (small) body, then close.
    const length = Number(headers["content-length"] ?? NaN);
    while (
      rest.length < MAX_ERROR_BODY_BYTES && !(Number.isFinite(length) && rest.length >= length)
    ) {
      const n = await tls.read(chunk);
      if (n === null) break;
      rest = concat(rest, chunk.subarray(0, n));
    }
    tls.close();
    if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
      rest = dechunk(rest);
      delete headers["transfer-encoding"];
    }
    return { status, headers, rest: Number.isFinite(length) ? rest.subarray(0, length) : rest };
  } catch (error) {
    try {
      tls.close();
    } catch { /* closed */ }
    throw error;
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener("abort", onAbort);
  }
}

/** Decodes a whole chunked body (an error answer, read to its end). */
function dechunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  const text = new TextDecoder("latin1");
  while (at < bytes.length) {
    const lineEnd = bytes.indexOf(10, at);
    if (lineEnd < 0) break;
    const size = parseInt(text.decode(bytes.subarray(at, lineEnd)).trim(), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 1, lineEnd + 1 + size));
    at = lineEnd + 1 + size + 2;
  }
  return parts.reduce((a, b) => concat(a, b), new Uint8Array(0));
}
