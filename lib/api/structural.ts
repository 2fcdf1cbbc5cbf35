/**
 * Rewrites zod's OpenAPI 3.0 output into a Kubernetes *structural* schema: the
 * apiserver rejects CRDs whose schemas use constructs it cannot prune or default by.
 */

/** A JSON Schema node as zod emits it and the apiserver reads it. */
export type JsonSchema = { [key: string]: unknown };

// zod's int bounds are Number.MAX_SAFE_INTEGER; they say nothing to a user.
const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Applies the apiserver's structural rules recursively:
 * - no `$schema`, `id`, `$id`, `title`;
 * - no `additionalProperties` beside `properties` (structural schemas forbid it);
 * - no `uniqueItems`; zod's safe-integer bounds dropped;
 * - `const` becomes a one-value `enum`;
 * - date-time strings keep `format` only (zod's regex is not RE2-compatible).
 */
export function toStructural(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (["$schema", "$id", "id", "title", "uniqueItems"].includes(key)) continue;
    if (key === "additionalProperties" && (node.properties || value === false)) continue;
    if ((key === "minimum" && value === -SAFE) || (key === "maximum" && value === SAFE)) continue;
    if (key === "pattern" && node.format === "date-time") continue;
    if (key === "const") {
      out.enum = [value];
      continue;
    }
    out[key] = rewriteChild(key, value);
  }
  if (out.type === undefined && out.enum && typeof (out.enum as unknown[])[0] === "string") {
    out.type = "string";
  }
  return out;
}

function rewriteChild(key: string, value: unknown): unknown {
  if (key === "properties" && isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, isObject(v) ? toStructural(v) : v]),
    );
  }
  if ((key === "items" || key === "additionalProperties") && isObject(value)) {
    return toStructural(value);
  }
  if ((key === "allOf" || key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
    return value.map((v) => (isObject(v) ? toStructural(v) : v));
  }
  return value;
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Lists violations of the structural rules that {@linkcode toStructural} cannot repair,
 * so the generator fails loudly instead of writing a CRD the apiserver will refuse.
 */
export function structuralProblems(node: JsonSchema, path = ""): string[] {
  const problems: string[] = [];
  const at = path === "" ? "<root>" : path;
  if (
    node.type === undefined && !node["x-kubernetes-int-or-string"] &&
    !node["x-kubernetes-preserve-unknown-fields"]
  ) {
    problems.push(`${at}: has no type`);
  }
  for (const key of ["anyOf", "oneOf", "allOf", "$ref", "not"]) {
    if (node[key] !== undefined) problems.push(`${at}: uses ${key}`);
  }
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    problems.push(`${at}: has both properties and additionalProperties`);
  }
  if (isObject(node.properties)) {
    for (const [k, v] of Object.entries(node.properties)) {
      if (isObject(v)) problems.push(...structuralProblems(v, path ? `${path}.${k}` : k));
    }
  }
  if (isObject(node.items)) problems.push(...structuralProblems(node.items, `${path}[]`));
  if (isObject(node.additionalProperties)) {
    problems.push(...structuralProblems(node.additionalProperties, `${path}{}`));
  }
  return problems;
}
