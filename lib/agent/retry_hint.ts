/**
 * The cell's retry hint: a cell pacing a reconnect storm refuses a stream with
 * RESOURCE_EXHAUSTED and the trailer `lattice-retry-after-ms` (lib/cell/admission_pacer.ts).
 * The agent waits that long plus a little jitter instead of its own exponential backoff,
 * so refused agents come back when the cell said it has room, not all at once.
 */
import { type Metadata, status } from "@grpc/grpc-js";

/** The trailer carrying the hint (the cell's RETRY_AFTER_MS_KEY). */
export const RETRY_AFTER_MS_TRAILER = "lattice-retry-after-ms";

/** Longest hint the agent honours; a larger one is cut to it. */
export const MAX_HINTED_RETRY_MS = 120_000;

/** The cell's retry hint in ms carried by `error`, if it carries a valid one. */
export function retryHintMs(error: unknown): number | undefined {
  const e = error as { code?: number; metadata?: Metadata } | undefined;
  if (e?.code !== status.RESOURCE_EXHAUSTED || typeof e.metadata?.get !== "function") return;
  const raw = e.metadata.get(RETRY_AFTER_MS_TRAILER)[0];
  const ms = Number(typeof raw === "string" ? raw : undefined);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, MAX_HINTED_RETRY_MS);
}

/** The hint plus up to 20 % jitter (never less than the hint: the slot is not earlier). */
export function hintedDelay(hintMs: number, random: () => number = Math.random): number {
  return Math.round(hintMs + random() * hintMs * 0.2);
}
