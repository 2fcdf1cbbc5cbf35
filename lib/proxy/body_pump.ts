/**
 * Sending a streamed request body to a child in KubernetesRequestBody chunks. The cell reads
 * one chunk, writes it, waits until the stream can take more (gRPC flow control) and only
 * then reads the next: a request never holds more than one chunk in the cell, however large
 * its body or slow its child.
 */
import { Buffer } from "node:buffer";
import type { KubernetesRequestBody } from "../proto/lattice/agent/v1/agent.ts";

/** Largest chunk per KubernetesRequestBody message. */
export const BODY_CHUNK_BYTES = 64 << 10;

/** Bodies whose declared length is at most this travel inside the KubernetesRequest. */
export const INLINE_BODY_BYTES = 64 << 10;

/** What {@linkcode pumpBody} needs from whoever carries the chunks. */
export interface BodySink {
  /** Writes one chunk; resolves when the carrier can take the next. */
  write(chunk: KubernetesRequestBody): Promise<void> | void;
  /** Whether the request is still open (the client or the child did not end it). */
  open(): boolean;
  /** Resolves when the request ends: a read waiting on the caller is abandoned at once. */
  ended?: Promise<void>;
}

/**
 * Relays `body` to `sink` chunk by chunk and ends it with `endOfBody`. Rejects with the
 * body's error (e.g. 413 from a limited stream); stops quietly when the request closed.
 */
export async function pumpBody(
  requestId: string,
  body: ReadableStream<Uint8Array>,
  sink: BodySink,
): Promise<void> {
  const reader = body.getReader();
  sink.ended?.then(() => reader.cancel().catch(() => {}));
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (!sink.open()) return;
      if (done) {
        await sink.write({ requestId, data: Buffer.alloc(0), endOfBody: true });
        return;
      }
      for (let at = 0; at < value.length; at += BODY_CHUNK_BYTES) {
        const piece = value.subarray(at, at + BODY_CHUNK_BYTES);
        await sink.write({
          requestId,
          data: Buffer.from(piece.buffer, piece.byteOffset, piece.length),
          endOfBody: false,
        });
        if (!sink.open()) return;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
