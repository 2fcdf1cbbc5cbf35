/**
 * Server-side pacing of agent stream admissions: a reconnect storm (a cell restart brings
 * every child back at once) must not make the cell hold thousands of half-admitted streams,
 * certificate checks and status writes at the same moment.
 *
 * Two bounds: at most `maxConcurrent` streams between accept and attach at once, and at
 * most `perSecond` attaches a second on average (a token bucket of `burst`). A stream over
 * either bound is refused at once with RESOURCE_EXHAUSTED and an explicit retry hint: each
 * refusal reserves the next free slot of the pacing schedule, so refused agents come back
 * spread over time at the rate the cell admits instead of all together.
 */

/** Options for {@linkcode AdmissionPacer}. */
export interface AdmissionPacingOptions {
  /** Streams being admitted (accepted, not yet attached) at once; default 256. */
  maxConcurrent?: number;
  /** Sustained admissions per second; default 1,000. */
  perSecond?: number;
  /** Admissions allowed in a burst above the rate; default `perSecond`. */
  burst?: number;
  /** Longest retry hint given; default 30 s (beyond it agents back off on their own). */
  maxRetryAfterMs?: number;
  /** Clock in ms; default `performance.now`. */
  now?: () => number;
}

/** A granted admission slot: release it once the stream is attached or gone. */
export interface AdmissionSlot {
  release(): void;
}

/** The answer of {@linkcode AdmissionPacer.acquire}. */
export type AdmissionDecision =
  | { granted: true; slot: AdmissionSlot }
  | { granted: false; retryAfterMs: number; reason: string };

/** Counters, for the benchmark and metrics. */
export interface AdmissionStats {
  granted: number;
  refused: number;
  /** Streams being admitted now. */
  inFlight: number;
  /** Most streams ever being admitted at once. */
  peakInFlight: number;
}

/** Metadata key of the retry hint on a refused stream (milliseconds, decimal). */
export const RETRY_AFTER_MS_KEY = "lattice-retry-after-ms";

/** Bounds concurrent and per-second admissions; see the module doc. */
export class AdmissionPacer {
  readonly #max: number;
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxHint: number;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;
  #nextSlot = 0;
  readonly stats: AdmissionStats = { granted: 0, refused: 0, inFlight: 0, peakInFlight: 0 };

  constructor(options: AdmissionPacingOptions = {}) {
    this.#max = positive(options.maxConcurrent ?? 256, "maxConcurrent");
    this.#rate = positive(options.perSecond ?? 1_000, "perSecond");
    this.#burst = positive(options.burst ?? this.#rate, "burst");
    this.#maxHint = options.maxRetryAfterMs ?? 30_000;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.#burst;
    this.#refilledAt = this.#now();
  }

  /** Grants a slot, or refuses with the time after which a retry should succeed. */
  acquire(): AdmissionDecision {
    const now = this.#now();
    this.#tokens = Math.min(
      this.#burst,
      this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000,
    );
    this.#refilledAt = now;
    const busy = this.stats.inFlight >= this.#max;
    if (!busy && this.#tokens >= 1) {
      this.#tokens -= 1;
      this.stats.granted++;
      this.stats.inFlight++;
      this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.stats.inFlight);
      let released = false;
      return {
        granted: true,
        slot: {
          release: () => {
            if (released) return;
            released = true;
            this.stats.inFlight--;
          },
        },
      };
    }
    this.stats.refused++;
    // Reserve the next free slot of the schedule: refused agents return one by one.
    this.#nextSlot = Math.max(this.#nextSlot, now) + 1000 / this.#rate;
    const retryAfterMs = Math.min(this.#maxHint, Math.ceil(this.#nextSlot - now));
    const reason = busy
      ? `the cell is admitting ${this.stats.inFlight} streams (at most ${this.#max} at once)`
      : `the cell admits at most ${this.#rate} streams a second`;
    return { granted: false, retryAfterMs, reason };
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new Error(`Cannot pace agent admissions: ${name} must be a positive number`);
  }
  return value;
}
