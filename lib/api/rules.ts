/**
 * Validation rules declared once and enforced by every layer. A {@linkcode Rule} carries
 * a TypeScript predicate (run by zod, hence by the operator and `lattice validate`), the
 * same predicate in CEL (emitted into the generated CRD as `x-kubernetes-validations`, run
 * by the apiserver) and ONE message, so a user reads the same words whichever layer
 * refused the document. See docs/validation.md for the rule table.
 */
import { z } from "zod";

/** The field error type the apiserver reports for a failed CEL rule. */
export type CelReason = "FieldValueInvalid" | "FieldValueRequired" | "FieldValueForbidden";

/** One `x-kubernetes-validations` entry of a CRD schema. */
export interface CelValidation {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: CelReason;
}

/** A rule about the value of one schema node (its fields, for an object). */
export interface Rule<T> {
  /** CamelCase id: the operator's condition reason and the rule table's key. */
  id: string;
  /** CEL over `self`, the node the rule is attached to; true when valid. */
  cel: string;
  /** The same predicate over zod's output (defaults applied); true when valid. */
  test(self: T): boolean;
  /** What is wrong and what would be valid; every layer prints it after the field path. */
  message: string;
  /** The field reported, relative to the node, e.g. `["host"]`; the node itself when unset. */
  field?: readonly string[];
  /** Error type on the apiserver; default FieldValueInvalid. */
  reason?: CelReason;
}

/**
 * A transition rule: compares the new value with the stored one on update (`oldSelf` in
 * CEL). zod sees one document, so these run on the apiserver and, given the previous
 * spec, in {@linkcode transitionProblems}-style checks of the operator and the CLI.
 */
export interface TransitionRule<T> extends Omit<Rule<T>, "test"> {
  test(self: T, old: T): boolean;
}

/** Key under which zod metadata carries the CEL rules into the JSON schema. */
export const CEL_KEY = "x-kubernetes-validations";

/** A CEL string literal holding `text` (backslashes and quotes escaped). */
export function celString(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** The `x-kubernetes-validations` entry of a rule. */
export function celValidation(rule: Rule<never> | TransitionRule<never>): CelValidation {
  const out: CelValidation = { rule: rule.cel, message: rule.message };
  if (rule.field?.length) out.fieldPath = rule.field.map((f) => `.${f}`).join("");
  if (rule.reason && rule.reason !== "FieldValueInvalid") out.reason = rule.reason;
  return out;
}

/** The zod issue parameter naming the rule that failed. */
export interface RuleParams {
  rule: string;
}

/**
 * `schema` with `rules` attached: zod checks them (issues at the rule's field, carrying
 * the rule id in `params.rule`), and the CRD emitter finds them, with the transition
 * rules, in the schema's metadata.
 */
export function withRules<S extends z.ZodType>(
  schema: S,
  rules: readonly Rule<z.output<S>>[],
  transitions: readonly TransitionRule<z.output<S>>[] = [],
): S {
  const before = (z.globalRegistry.get(schema)?.[CEL_KEY] ?? []) as CelValidation[];
  const checked = rules.length === 0 ? schema : schema.superRefine((value, ctx) => {
    for (const rule of rules) {
      if (rule.test(value)) continue;
      ctx.addIssue({
        code: "custom",
        message: rule.message,
        path: [...(rule.field ?? [])],
        params: { rule: rule.id } satisfies RuleParams,
      });
    }
  });
  const cel = [...before, ...rules.map(celValidation), ...transitions.map(celValidation)];
  return checked.meta({ [CEL_KEY]: cel }) as S;
}

/** The rule id of a zod issue raised by {@linkcode withRules}, if any. */
export function ruleOf(issue: z.core.$ZodIssue): string | undefined {
  const params = (issue as { params?: Partial<RuleParams> }).params;
  return typeof params?.rule === "string" ? params.rule : undefined;
}
