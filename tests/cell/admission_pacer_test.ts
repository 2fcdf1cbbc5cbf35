import assert from "node:assert/strict";
import { AdmissionPacer } from "../../lib/cell/admission_pacer.ts";

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => t += ms };
}

Deno.test("the pacer grants up to maxConcurrent at once and refuses the next with a hint", () => {
  const c = clock();
  const pacer = new AdmissionPacer({ maxConcurrent: 2, perSecond: 100, now: c.now });
  const a = pacer.acquire();
  const b = pacer.acquire();
  assert.ok(a.granted && b.granted);
  const refused = pacer.acquire();
  assert.equal(refused.granted, false);
  if (!refused.granted) {
    assert.match(refused.reason, /admitting 2 streams \(at most 2 at once\)/);
    assert.equal(refused.retryAfterMs, 10);
  }
  a.slot.release();
  a.slot.release(); // releasing twice frees one slot only
  assert.equal(pacer.stats.inFlight, 1);
  assert.ok(pacer.acquire().granted);
  assert.deepEqual(
    { granted: pacer.stats.granted, refused: pacer.stats.refused, peak: pacer.stats.peakInFlight },
    { granted: 3, refused: 1, peak: 2 },
  );
});

Deno.test("the pacer holds the rate: a burst, then one per interval", () => {
  const c = clock();
  const pacer = new AdmissionPacer({ maxConcurrent: 1e6, perSecond: 10, burst: 3, now: c.now });
  for (let i = 0; i < 3; i++) assert.ok(pacer.acquire().granted);
  const refused = pacer.acquire();
  assert.equal(refused.granted, false);
  if (!refused.granted) assert.match(refused.reason, /at most 10 streams a second/);
  c.advance(100); // one token back
  assert.ok(pacer.acquire().granted);
  assert.equal(pacer.acquire().granted, false);
});

Deno.test("refused streams are given successive slots of the schedule, capped", () => {
  const c = clock(1_000);
  const pacer = new AdmissionPacer({
    maxConcurrent: 1,
    perSecond: 100,
    maxRetryAfterMs: 35,
    now: c.now,
  });
  assert.ok(pacer.acquire().granted);
  const hints = Array.from({ length: 5 }, () => {
    const d = pacer.acquire();
    return d.granted ? -1 : d.retryAfterMs;
  });
  assert.deepEqual(hints, [10, 20, 30, 35, 35]);
  // Once the schedule is behind the clock, hints start again from now.
  c.advance(10_000);
  const later = pacer.acquire();
  assert.ok(!later.granted && later.retryAfterMs === 10);
});

Deno.test("the pacer refuses bounds that are not positive numbers", () => {
  assert.throws(() => new AdmissionPacer({ perSecond: 0 }), /perSecond must be a positive number/);
  assert.throws(() => new AdmissionPacer({ maxConcurrent: -1 }), /maxConcurrent/);
  assert.throws(() => new AdmissionPacer({ burst: Number.NaN }), /burst/);
});
