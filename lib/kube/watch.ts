/**
 * The raw watch protocol: a watch answer is a stream of JSON lines `{type, object}`. This
 * module only frames and decodes them; the watcher state machine lives in lib/runtime.
 */
import { ApiError, type StatusBody } from "./errors.ts";
import type { KubeObject } from "./types.ts";

/** One decoded watch event. ERROR events carry a Status as `object`. */
export interface RawWatchEvent<T = KubeObject> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

/** Decodes a watch response body into events. Ends when the server closes the stream. */
export async function* watchEvents<T = KubeObject>(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<RawWatchEvent<T>> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) yield JSON.parse(line) as RawWatchEvent<T>;
      }
    }
    if (buffer.trim()) yield JSON.parse(buffer) as RawWatchEvent<T>;
  } finally {
    // Cancelling releases the HTTP stream when the consumer stops early. Not awaited: on a
    // dead connection the cancel itself may never settle, and the consumer must move on.
    reader.cancel().catch(() => {});
  }
}

/** The ApiError an ERROR watch event stands for (410 Expired after compaction, ...). */
export function watchErrorToApiError(event: RawWatchEvent<unknown>, request: string): ApiError {
  return ApiError.fromStatus(event.object as StatusBody, { request });
}
