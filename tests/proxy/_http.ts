/** HTTP helpers of the proxy integration tests. */
import type { ProxyEnv } from "./_env.ts";

/** Polls `check` until it holds (a condition on real servers, not a clock). */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what} (${Deno.env.get("DBG") ? "" : ""})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads lines from a stream until `match` is seen. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  match: (text: string) => boolean,
): Promise<string> {
  let text = "";
  while (!match(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`Stream ended before the expected output; got: ${text}`);
    text += value;
  }
  return text;
}

/** Sends a raw HTTP/1.1 request (paths that fetch() would normalize) and returns its status. */
export async function rawStatus(env: ProxyEnv, path: string, token: string): Promise<number> {
  const port = Number(new URL(env.cellUrl).port);
  const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [env.cellCaPem] });
  try {
    const request = `GET ${path} HTTP/1.1\r\nHost: localhost\r\n` +
      `Authorization: Bearer ${token}\r\nConnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(request));
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    const line = new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n", 1)[0];
    return Number(line.split(" ")[1]);
  } finally {
    conn.close();
  }
}
