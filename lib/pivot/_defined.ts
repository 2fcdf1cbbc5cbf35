/**
 * Folder-internal: a value the pivot's own bookkeeping guarantees, checked instead of
 * asserted with `!` — a broken guarantee is a clear error, not a crash on `undefined`.
 */

/** `value`, or an error naming what was missing. */
export function defined<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) {
    throw new Error(`Cannot continue the pivot: ${what} is missing`);
  }
  return value;
}
