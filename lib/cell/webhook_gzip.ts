/**
 * The registration answer, gzipped when the client accepts it. The answer (certificate,
 * CA, the child's manifests) is ~75 KiB of JSON: sent as is, it leaves the connection guard
 * in several writes, and the last waits for the client's delayed ACK (40 ms on Linux) —
 * more than the whole registration costs the cell. Gzipped (level 1: ~1 ms for ~13×) it is
 * one small write (docs/scale.md).
 */
import type { Context } from "hono";
import { gzipSync } from "node:zlib";

/** Whether an Accept-Encoding header value admits gzip (and does not refuse it, `q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";").map((p) => p.trim());
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Answers `body` as JSON, gzipped when the request accepts it. */
export function jsonAnswer(c: Context, body: unknown): Response {
  const json = JSON.stringify(body);
  if (!acceptsGzip(c.req.header("accept-encoding"))) {
    return c.body(json, 200, { "content-type": "application/json", vary: "accept-encoding" });
  }
  return c.body(new Uint8Array(gzipSync(json, { level: 1 })), 200, {
    "content-type": "application/json",
    "content-encoding": "gzip",
    vary: "accept-encoding",
  });
}
