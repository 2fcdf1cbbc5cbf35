/**
 * Reading a proxied request's body under limits. The body is read only once the caller is
 * authenticated and authorized (app.ts), counted while it streams in (a chunked body has no
 * Content-Length to check up front) and refused the moment it passes the per-request limit;
 * the bytes of all bodies being read at once are bounded by a shared {@linkcode BodyBudget},
 * so many concurrent large bodies cannot exhaust the cell's memory either.
 */
import { StatusError } from "../cell/errors.ts";

/** Options for {@linkcode BodyBudget}. */
export interface BodyBudgetOptions {
  /** Bytes of request bodies held at once by all requests together; default 32 MiB. */
  maxBytes?: number;
}

/** A shared allowance of request-body bytes held in memory. */
export class BodyBudget {
  readonly #max: number;
  #used = 0;

  constructor(options: BodyBudgetOptions = {}) {
    this.#max = options.maxBytes ?? 32 << 20;
  }

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Takes `bytes`; false (and nothing taken) when that would pass the budget. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.#max) return false;
    this.#used += bytes;
    return true;
  }

  /** Gives `bytes` back. */
  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/** Options for {@linkcode readLimitedBody}. */
export interface ReadBodyOptions {
  /** Largest body accepted (413 beyond). */
  limit: number;
  /** Shared allowance; the caller gives back `body.length` once the body is sent on. */
  budget: BodyBudget;
  /** Time allowed to receive the whole body (408 after); default 60 s. */
  timeoutMs?: number;
}

/**
 * Reads `request`'s body, refusing it (413) as soon as it passes `limit` — by its declared
 * Content-Length before a byte is read, else while it streams in — and (503) when the shared
 * budget is spent. The bytes returned are taken from the budget: give them back when done.
 */
export async function readLimitedBody(
  request: Request,
  options: ReadBodyOptions,
): Promise<Uint8Array> {
  const { limit, budget } = options;
  const tooLarge = () => new StatusError(413, `Cannot proxy: the body exceeds ${limit} bytes`);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (!(declared <= limit)) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    reader.cancel(new Error("body timeout")).catch(() => {});
  }, options.timeoutMs ?? 60_000);
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (expired) throw new Error("body timeout");
      if (done) break;
      if (size + value.length > limit) throw tooLarge();
      if (!budget.take(value.length)) {
        throw new StatusError(
          503,
          "Cannot proxy: too many request bodies in flight on this cell; retry",
          { details: { retryAfterSeconds: 1 } },
        );
      }
      size += value.length;
      chunks.push(value);
    }
  } catch (error) {
    budget.give(size);
    reader.cancel().catch(() => {});
    if (error instanceof StatusError) throw error;
    throw new StatusError(408, "Cannot proxy: the request body did not arrive in time", {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/** Options for {@linkcode limitedBodyStream}. */
export type BodyStreamOptions = ReadBodyOptions;

/**
 * `body` as a stream that refuses it (413) the moment it passes `limit` and (408) when it
 * has not ended within the timeout. Nothing is buffered: each chunk is taken from the shared
 * `budget` when it is read and given back when the next one is asked for (its consumer has
 * written it on), so a request holds at most one chunk of the budget at a time.
 */
export function limitedBodyStream(
  body: ReadableStream<Uint8Array>,
  options: BodyStreamOptions,
): ReadableStream<Uint8Array> {
  const { limit, budget } = options;
  const reader = body.getReader();
  let size = 0;
  let held = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const release = () => {
    budget.give(held);
    held = 0;
  };
  const end = () => {
    release();
    clearTimeout(timer);
  };
  let expired = false;
  return new ReadableStream<Uint8Array>({
    start() {
      timer = setTimeout(() => {
        expired = true;
        reader.cancel(new Error("body timeout")).catch(() => {});
      }, options.timeoutMs ?? 60_000);
    },
    async pull(controller) {
      release();
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (cause) {
        end();
        throw expired
          ? new StatusError(408, "Cannot proxy: the request body did not arrive in time", {
            cause,
          })
          : cause;
      }
      if (expired) {
        end();
        throw new StatusError(408, "Cannot proxy: the request body did not arrive in time");
      }
      if (next.done) {
        end();
        controller.close();
        return;
      }
      const chunk = next.value;
      if (size + chunk.length > limit) {
        end();
        reader.cancel().catch(() => {});
        throw new StatusError(413, `Cannot proxy: the body exceeds ${limit} bytes`);
      }
      if (!budget.take(chunk.length)) {
        end();
        reader.cancel().catch(() => {});
        throw new StatusError(
          503,
          "Cannot proxy: too many request bodies in flight on this cell; retry",
          { details: { retryAfterSeconds: 1 } },
        );
      }
      held = chunk.length;
      size += chunk.length;
      controller.enqueue(chunk);
    },
    cancel(reason) {
      end();
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}
