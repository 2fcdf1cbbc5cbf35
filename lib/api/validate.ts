/**
 * Validation of whole documents with zod, reporting `field: message` lines.
 */
import type { z } from "zod";
import { formatIssues } from "./validators.ts";

/** The outcome of {@linkcode validate}: the parsed value or the messages a user sees. */
export type Validated<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Parses `input` with `schema`; errors come back as `spec.nodes.controlPlane: must be >= 1`. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): Validated<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, errors: formatIssues(result.error) };
}
