/**
 * Property test: the four validation layers agree. Seeded specs (valid and invalid) go
 * through zod, the generated CRD on a real kube-apiserver (server-side dry-run create,
 * strict field validation, as `kubectl apply` does), the operator's validation (the
 * function and context the reconciler uses) and `lattice validate` on a temp repository.
 * zod and the apiserver judge the document alone and must agree; the operator and the CLI
 * add the same context checks and must agree with each other; every rule message zod
 * reports must be the text the other layers report. A sample of specs is then reconciled
 * for real and its SpecValid condition compared. Disagreements fail with the spec.
 *
 * LATTICE_PROPERTY_SEED and LATTICE_PROPERTY_COUNT override the seed (default 27) and the
 * number of specs (default 300).
 */
import assert from "node:assert/strict";
import {
  clusterProblems,
  type LatticeClusterInput,
  LatticeClusterSchema,
  problemText,
  SCHEMA_REASON,
  SELF_CELL_REF_MESSAGE,
  transitionProblems,
} from "../../lib/api/mod.ts";
import { type ClusterObject, LATTICE_CLUSTER_REF } from "../../lib/controllers/cluster/mod.ts";
import { EventRecorder, KubeClient } from "../../lib/kube/mod.ts";
import { baseRepoFiles, kustomization, writeRepo } from "../gitops/fixtures.ts";
import {
  apiReports,
  BLOCKING,
  cellReconciler,
  cliErrors,
  dryRun,
  type Json,
  NAME,
  NOT_CHECKED,
  operatorProblems,
  PATH,
  show,
  storeOf,
} from "./_agreement.ts";
import { condition, CRDS, eventReasons, eventually, mustGetCluster } from "./_cluster_helpers.ts";
import { withControlPlane } from "./_plane.ts";
import { baseSpec, generateDocument, prng } from "./_spec_gen.ts";

const SEED = Number(Deno.env.get("LATTICE_PROPERTY_SEED") ?? 27);
const COUNT = Number(Deno.env.get("LATTICE_PROPERTY_COUNT") ?? 300);

Deno.test("zod, the CRD on a real apiserver, the operator and lattice validate agree", async (t) => {
  await withControlPlane(t, async (plane, api) => {
    const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const reconciler = cellReconciler(client);
    const repo = await Deno.makeTempDir({ prefix: "lattice-agree-" });
    const rootDoc = {
      apiVersion: "lattice.dev/v1alpha1",
      kind: "LatticeCluster",
      metadata: { name: "root" },
      spec: { ...baseSpec(), cellRef: undefined, cell: { host: "root.example.com" } },
    } as unknown as ClusterObject;
    delete (rootDoc.spec as { cellRef?: string }).cellRef;
    const r = prng(SEED);
    const failures: string[] = [];
    const sample = { valid: [] as LatticeClusterInput[], refused: [] as LatticeClusterInput[] };
    const seen = { valid: 0, invalid: 0, contextual: 0, rules: new Set<string>() };
    try {
      await writeRepo(repo, {
        ...baseRepoFiles(),
        "children/kustomization.yaml": kustomization([`${NAME}/cluster.yaml`]),
        [`children/${NAME}/kustomization.yaml`]: kustomization([]),
      });
      await t.step(`${COUNT} seeded specs (seed ${SEED})`, async () => {
        for (let i = 0; i < COUNT; i++) {
          const doc = generateDocument(r, NAME);
          const zod = LatticeClusterSchema.safeParse(doc).success;
          const own = clusterProblems(doc);
          const verdict = await dryRun(api, "POST", doc);
          const obj = verdict.object ?? (doc as unknown as ClusterObject);
          const known = new Map([["root", rootDoc], [NAME, obj]]);
          const operator = operatorProblems(reconciler, obj, known);
          const cli = await cliErrors(repo, doc);
          const problems: string[] = [];
          // A 400 (strict decoding: unknown field) comes before any validation.
          const blocked = (!verdict.ok && verdict.causes.length === 0) ||
            verdict.causes.some((c) =>
              BLOCKING.includes(c.reason ?? "") || (c.message ?? "").includes(NOT_CHECKED)
            );
          if (zod !== verdict.ok) problems.push("zod and the apiserver disagree");
          if ((operator.length === 0) !== (cli.length === 0)) {
            problems.push("the operator and lattice validate disagree");
          }
          if (!zod && operator.length === 0) problems.push("the operator accepts what zod refuses");
          for (const p of own) {
            seen.rules.add(p.reason);
            if (p.reason !== SCHEMA_REASON && !blocked && !apiReports(verdict, p)) {
              problems.push(`the apiserver does not say "${problemText(p)}"`);
            }
            if (!operator.some((o) => problemText(o) === problemText(p))) {
              problems.push(`the operator does not say "${problemText(p)}"`);
            }
            if (!cli.some((e) => e.field === p.field && e.message === p.message)) {
              problems.push(`lattice validate does not say "${problemText(p)}"`);
            }
          }
          if (own.length === 1 && own[0].reason !== SCHEMA_REASON && verdict.causes.length > 1) {
            problems.push("the apiserver reports more than zod's one problem");
          }
          if (problems.length > 0) {
            failures.push(show(doc, {
              disagreements: problems,
              zod: own.map(problemText),
              apiserver: verdict.ok ? "accepted" : verdict.causes,
              operator: operator.map(problemText),
              cli: cli.map((e) => `${e.field}: ${e.message}`),
            }));
          }
          if (zod) seen.valid++;
          else seen.invalid++;
          if (verdict.ok && operator.length > 0) seen.contextual++;
          // A few admitted specs for the live step: valid ones and ones refused by context.
          const bucket = operator.length === 0 ? sample.valid : sample.refused;
          if (verdict.ok && bucket.length < 3) bucket.push(doc);
        }
        assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${COUNT} disagree`);
        // The generator must exercise both verdicts and the context rules.
        assert.ok(seen.valid >= COUNT / 10, `only ${seen.valid} valid specs`);
        assert.ok(seen.invalid >= COUNT / 3, `only ${seen.invalid} invalid specs`);
        assert.ok(seen.contextual > 0, "no spec needed context to be refused");
        for (
          const rule of [
            "EvenControlPlaneCount",
            "MissingCellHost",
            "InvalidNodePorts",
            "NetworkOverlap",
            "InvalidCIDR",
            "InvalidCertSAN",
            "UnsupportedKubernetesVersion",
            "UnsupportedFluxVersion",
            "InvalidVersion",
            "SelfCellRef",
          ]
        ) assert.ok(seen.rules.has(rule), `no spec broke ${rule}`);
      });

      await t.step(
        "a sample reconciled for real: SpecValid says what validation says",
        async () => {
          assert.ok(
            sample.valid.length > 0 && sample.refused.length > 0,
            `a sample of both: ${sample.valid.length} valid, ${sample.refused.length} refused`,
          );
          const recorder = new EventRecorder(client, { component: "lattice.dev/test" });
          const live = cellReconciler(client, recorder);
          await client.create(rootDoc);
          for (const [i, doc] of [...sample.valid, ...sample.refused].entries()) {
            const name = `sample-${i}`;
            const renamed = structuredClone(doc);
            renamed.metadata.name = name;
            if (renamed.spec.cellRef === NAME) renamed.spec.cellRef = name;
            await client.create(renamed);
            const obj = await mustGetCluster(client, name);
            const known = new Map([["root", await mustGetCluster(client, "root")], [name, obj]]);
            const expected = operatorProblems(live, obj, known);
            await live.reconcile(obj, { store: storeOf(known) });
            const after = await mustGetCluster(client, name);
            const specValid = condition(after, "SpecValid");
            const context = show(renamed, { expected: expected.map(problemText), specValid });
            if (expected.length === 0) {
              assert.equal(specValid?.status, "True", context);
            } else {
              assert.equal(specValid?.status, "False", context);
              assert.equal(specValid?.reason, expected[0].reason, context);
              assert.equal(specValid?.message, expected.map(problemText).join("; "), context);
              assert.ok((await eventReasons(client, name)).includes(expected[0].reason), context);
            }
          }
        },
      );

      await t.step(
        "immutable fields: the apiserver's transition rules and ours agree",
        async () => {
          const base = {
            apiVersion: "lattice.dev/v1alpha1",
            kind: "LatticeCluster",
            metadata: { name: "imm" },
            spec: { ...baseSpec(), networking: { pods: "10.244.0.0/16" } },
          } as LatticeClusterInput;
          await client.create(base);
          const stored = await mustGetCluster(client, "imm");
          const edits: [string, (s: LatticeClusterInput["spec"]) => void][] = [
            ["nothing", () => {}],
            ["workers", (s) => (s.nodes.workers = 9)],
            ["a patch version", (s) => (s.provider.kubernetes.version = "1.31.4")],
            ["the bootstrap", (s) => (s.provider.kubernetes.bootstrap = "rke2")],
            ["the provider", (s) => (s.provider.config = { aws: { region: "eu-west-1" } })],
            ["the pod network", (s) => (s.networking = { pods: "10.245.0.0/16" })],
            ["the pod network to its default", (s) => (s.networking = {})],
            ["the service network", (s) => (s.networking!.services = "10.96.0.0/12")],
            ["the service network to the default", (s) => {
              s.networking!.services = "10.128.0.0/12";
            }],
          ];
          for (const [what, edit] of edits) {
            const next = structuredClone(stored) as unknown as LatticeClusterInput;
            edit(next.spec);
            const ours = transitionProblems(stored.spec, next.spec);
            const verdict = await dryRun(api, "PUT", next, "imm");
            const context = show(next, { what, ours: ours.map(problemText), api: verdict.causes });
            assert.equal(verdict.ok, ours.length === 0, context);
            for (const p of ours) assert.ok(apiReports(verdict, p), context);
          }
          await client.delete(LATTICE_CLUSTER_REF, "imm");
        },
      );

      await t.step(
        "self-references and loops the CRD let in are reported, not ignored",
        async () => {
          const recorder = new EventRecorder(client, { component: "lattice.dev/test" });
          const live = cellReconciler(client, recorder);
          // A loop passes the CRD (it needs context); a self-reference passes only a CRD from
          // before the rule, whose objects ratcheting keeps: drop the rule to store one.
          const rules = "/spec/versions/0/schema/openAPIV3Schema/x-kubernetes-validations";
          const crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" +
            "latticeclusters.lattice.dev";
          const crd = await api.json<{
            spec: { versions: { schema: { openAPIV3Schema: Json } }[] };
          }>("GET", crdPath);
          const list = crd.body.spec.versions[0].schema.openAPIV3Schema["x-kubernetes-validations"];
          const index = (list as { message: string }[]).findIndex((v) =>
            v.message === SELF_CELL_REF_MESSAGE
          );
          assert.ok(index >= 0, "the served CRD carries the self-reference rule");
          const patched = await api.json("PATCH", crdPath, {
            body: [{ op: "remove", path: `${rules}/${index}` }],
            contentType: "application/json-patch+json",
          });
          assert.equal(patched.status, 200, JSON.stringify(patched.body));
          const doc = (name: string, cellRef: string) => {
            const d = structuredClone(rootDoc) as unknown as LatticeClusterInput;
            d.metadata = { name };
            d.spec = { ...baseSpec(), cellRef };
            return d;
          };
          await eventually(
            async () => {
              const r = await api.json("POST", PATH, { body: doc("selfish", "selfish") });
              return r.status === 201 ? true : undefined;
            },
            "the CRD without the self-reference rule served",
            60_000,
          );
          await client.create(doc("loop-a", "loop-b"));
          await client.create(doc("loop-b", "loop-a"));
          const names = ["selfish", "loop-a", "loop-b", "root"];
          const known = new Map<string, ClusterObject>();
          for (const n of names) known.set(n, await mustGetCluster(client, n));
          const want: [string, string, RegExp][] = [
            ["selfish", "SelfCellRef", /^spec\.cellRef: names the cluster itself/],
            ["loop-a", "CellRefLoop", /^spec\.cellRef: forms a loop \(loop-a → loop-b → loop-a\)/],
          ];
          for (const [name, reason, message] of want) {
            await live.reconcile(known.get(name)!, { store: storeOf(known) });
            const after = await mustGetCluster(client, name);
            const specValid = condition(after, "SpecValid");
            assert.equal(specValid?.status, "False", name);
            assert.equal(specValid?.reason, reason, name);
            assert.match(specValid?.message ?? "", message);
            assert.equal(after.status?.phase, "Failed");
            assert.ok((await eventReasons(client, name)).includes(reason), `${name}: an Event`);
          }
        },
      );
    } finally {
      await Deno.remove(repo, { recursive: true });
    }
  }, { crds: CRDS });
});
