/**
 * Polls a condition on a real system until it holds (integration tests only: the system
 * under test runs on real time, so there is no clock to inject).
 */

/** Resolves when `check` returns true; rejects after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Cannot meet condition: still false after ${timeoutMs} ms`);
}
