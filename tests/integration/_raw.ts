/** Raw HTTP over TLS for attack tests: what fetch would not send (or would fix up). */
import https from "node:https";
import type { IncomingMessage } from "node:http";

/** An answer read from a raw connection. */
export interface RawAnswer {
  status: number;
  head: string;
  /** Request-body bytes written before the answer arrived. */
  sent: number;
}

/**
 * Sends `head` (request line and headers, ending in a blank line) to localhost:`port`,
 * then a chunked body of up to `bodyBytes` in 64 KiB chunks while reading; resolves as soon
 * as the answer's head arrives (or the server closes), with the body bytes sent by then.
 */
export async function rawExchange(
  port: number,
  caPem: string,
  head: string,
  bodyBytes = 0,
): Promise<RawAnswer> {
  const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [caPem] });
  const encoder = new TextEncoder();
  let sent = 0;
  let answered = false;
  const reading = (async () => {
    let text = "";
    const buf = new Uint8Array(16 * 1024);
    while (!text.includes("\r\n\r\n")) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    answered = true;
    return text;
  })();
  const writeAll = async (bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
  };
  try {
    await writeAll(encoder.encode(head));
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const frame = new Uint8Array([
      ...encoder.encode(`${chunk.length.toString(16)}\r\n`),
      ...chunk,
      ...encoder.encode("\r\n"),
    ]);
    while (sent < bodyBytes && !answered) {
      const ok = await writeAll(frame).then(() => true, () => false);
      if (!ok) break;
      sent += chunk.length;
    }
    if (bodyBytes > 0 && !answered) await writeAll(encoder.encode("0\r\n\r\n")).catch(() => {});
    const text = await reading;
    return { status: Number(text.split(" ")[1] ?? 0), head: text, sent };
  } finally {
    conn.close();
  }
}

/** A GET from the local address `from` (another loopback address = another client). */
export function getFrom(
  from: string,
  port: number,
  caPem: string,
  path: string,
  token: string,
): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: "127.0.0.1",
      servername: "localhost",
      port,
      path,
      ca: caPem,
      localAddress: from,
      agent: false,
      headers: { authorization: `Bearer ${token}`, host: "localhost" },
    }, (res: IncomingMessage) => {
      res.resume();
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers["retry-after"] as string | undefined,
        }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Reads a counter of the plane's apiserver metrics (sum over matching series). */
export async function apiserverCounter(
  fetchMetrics: () => Promise<string>,
  name: string,
  ...labels: string[]
): Promise<number> {
  const text = await fetchMetrics();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (labels.every((l) => line.includes(l))) total += Number(line.split(" ").at(-1));
  }
  return total;
}
