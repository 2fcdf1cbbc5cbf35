/**
 * Helpers of the validation agreement test: the apiserver's verdict on a dry run, the
 * operator's validation as the reconciler runs it, `lattice validate` on a repository
 * whose child cluster file is replaced per spec.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { type LatticeClusterInput, problemText, type SpecProblem } from "../../lib/api/mod.ts";
import {
  type ClusterObject,
  ClusterReconciler,
  clusterValidationContext,
  secretBootstrapTokens,
  validateCluster,
} from "../../lib/controllers/cluster/mod.ts";
import type { EventRecorder, KubeClient } from "../../lib/kube/mod.ts";
import { BootstrapTokens, MemoryTokenBackend } from "../../lib/pki/mod.ts";
import type { StoreReader } from "../../lib/runtime/mod.ts";
import { TEST_CA_PEM } from "../capi/fixtures.ts";
import { lattice } from "../gitops/fixtures.ts";
import type { PlaneApi } from "./_plane.ts";

/** Name of the generated cluster, a child of the cell `root`. */
export const NAME = "child";
/** The LatticeCluster collection. */
export const PATH = "/apis/lattice.dev/v1alpha1/latticeclusters";
/** The generated cluster's file in the repository. */
export const CHILD_FILE = `children/${NAME}/cluster.yaml`;

/** A JSON object. */
export type Json = Record<string, unknown>;

/** A cause of a Kubernetes Status. */
export interface Cause {
  reason?: string;
  field?: string;
  message?: string;
}

// The apiserver runs no CEL rule once the schema found a "blocking" error (a wrong type,
// a value outside an enum, too many properties) and says so in a cause; then only the
// verdict, not each rule's message, is compared.
export const BLOCKING = ["FieldValueTypeInvalid", "FieldValueNotSupported"];
export const NOT_CHECKED = "some validation rules were not checked";

/** What the apiserver answered. */
export interface ApiVerdict {
  ok: boolean;
  status: number;
  object?: ClusterObject;
  causes: Cause[];
  message: string;
}

/** A server-side dry-run create (POST) or update (PUT) with strict field validation. */
export async function dryRun(api: PlaneApi, method: "POST" | "PUT", doc: unknown, name?: string) {
  const path = `${PATH}${name ? `/${name}` : ""}?dryRun=All&fieldValidation=Strict`;
  const { status, body } = await api.json<Record<string, unknown>>(method, path, { body: doc });
  const details = body.details as { causes?: Cause[] } | undefined;
  return {
    ok: status === 200 || status === 201,
    status,
    object: status < 300 ? body as unknown as ClusterObject : undefined,
    causes: details?.causes ?? [],
    message: String(body.message ?? ""),
  } satisfies ApiVerdict;
}

/** The apiserver reported `problem`: a cause at its field carrying its message. */
export function apiReports(verdict: ApiVerdict, problem: SpecProblem): boolean {
  return verdict.causes.some((c) =>
    (c.field ?? "") === (problem.field ?? "") && (c.message ?? "").includes(problem.message)
  ) || verdict.message.includes(problemText(problem));
}

/** The controller's reconciler, as a cell named root serving children. */
export function cellReconciler(client: KubeClient, recorder?: EventRecorder) {
  return new ClusterReconciler(client, {
    selfName: "root",
    cell: { url: "https://root.example.com:8443", caBundlePem: TEST_CA_PEM },
    tokens: secretBootstrapTokens(client, new BootstrapTokens(new MemoryTokenBackend())),
    pivot: () => Promise.resolve("in-progress"),
    recorder,
  });
}

/** Validates `obj` exactly as the reconciler does, with `known` as its informer cache. */
export function operatorProblems(
  reconciler: ClusterReconciler,
  obj: ClusterObject,
  known: Map<string, ClusterObject>,
): SpecProblem[] {
  const exists = (n: string) => known.has(n);
  const cellRefOf = (n: string) => known.get(n)?.spec.cellRef;
  const role = reconciler.roleOf(obj, exists, cellRefOf);
  assert.notEqual(role, "foreign", "every generated spec is this cell's to judge");
  return validateCluster(obj, clusterValidationContext(role, "root", exists, cellRefOf));
}

/** An informer cache holding `known`. */
export const storeOf = (known: Map<string, ClusterObject>) =>
  ({ get: (key: string) => known.get(key) }) as unknown as StoreReader<ClusterObject>;

/** `lattice validate --output json` of the repo with `doc` as the child's cluster.yaml. */
export async function cliErrors(dir: string, doc: LatticeClusterInput) {
  await Deno.writeTextFile(`${dir}/${CHILD_FILE}`, stringify(doc));
  const r = await lattice(dir, "validate", "--output", "json");
  const out = JSON.parse(r.stdout) as {
    valid: boolean;
    errors: { file: string; field?: string; message: string }[];
  };
  const stray = out.errors.filter((e) => e.file !== CHILD_FILE);
  assert.deepEqual(stray, [], "only the generated file may have issues");
  assert.equal(r.code === 0, out.valid);
  return out.errors;
}

/** A disagreement report: the spec and what each layer said. */
export function show(doc: unknown, findings: Record<string, unknown>): string {
  return JSON.stringify({ spec: (doc as { spec: unknown }).spec, ...findings }, null, 1);
}
