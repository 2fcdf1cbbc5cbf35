/**
 * Failure paths of the LatticeCluster controller on a real kube-apiserver: a phase that
 * throws still writes status (Ready=False with the error's reason), typed errors decide
 * terminal vs retried, and shutdown or lost leadership aborts an in-flight reconcile within
 * a second without writing half a status; the next run resumes.
 */
import assert from "node:assert/strict";
import {
  type BootstrapTokens,
  clusterController,
  ClusterReconciler,
} from "../../lib/controllers/cluster/mod.ts";
import { ApiError, EventRecorder, KubeClient } from "../../lib/kube/mod.ts";
import { RetryableError, TerminalError } from "../../lib/runtime/mod.ts";
import { withControlPlane } from "./_plane.ts";
import {
  clusterDoc,
  condition,
  CRDS,
  eventReasons,
  eventually,
  mustGetCluster,
} from "./_cluster_helpers.ts";
import { TEST_CA_PEM } from "../capi/fixtures.ts";

const cell = { url: "https://root.example.com:8443", caBundlePem: TEST_CA_PEM };

/** Tokens whose `ensure` does whatever the test says next. */
function scriptedTokens() {
  let next: (signal?: AbortSignal) => Promise<never> | undefined = () => undefined;
  const tokens: BootstrapTokens = {
    ensure: (cluster, namespace) =>
      next() ?? Promise.resolve({ name: `${cluster.metadata.name}-join`, namespace }),
    release: () => Promise.resolve(),
  };
  return { tokens, set: (fn: typeof next) => next = fn };
}

Deno.test("a reconcile phase that throws leaves a condition with the error's reason", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const recorder = new EventRecorder(client, { component: "lattice.dev/test" });
    const script = scriptedTokens();
    const reconciler = new ClusterReconciler(client, {
      selfName: "root",
      cell,
      tokens: script.tokens,
      recorder,
    });
    const reconcile = async (name: string) =>
      await reconciler.reconcile(await mustGetCluster(client, name));
    try {
      await client.create(clusterDoc("fails", { cellRef: "root" }));

      await t.step("a retryable error: Ready=False with its reason, error rethrown", async () => {
        script.set(() =>
          Promise.reject(
            new RetryableError("token backend unavailable", { reason: "TokenBackendDown" }),
          )
        );
        await assert.rejects(reconcile("fails"), RetryableError);
        const lc = await mustGetCluster(client, "fails");
        const ready = condition(lc, "Ready");
        assert.equal(ready?.status, "False");
        assert.equal(ready?.reason, "TokenBackendDown");
        assert.match(ready?.message ?? "", /token backend unavailable/);
        assert.equal(lc.status?.observedGeneration, lc.metadata.generation);
        assert.equal(condition(lc, "SpecValid")?.status, "True", "earlier phases kept");
        assert.ok((await eventReasons(client, "fails")).includes("TokenBackendDown"));
      });

      await t.step("an API error: its Status reason becomes the condition's", async () => {
        script.set(() => Promise.reject(new ApiError(403, "secrets is forbidden")));
        await assert.rejects(reconcile("fails"), ApiError);
        assert.equal(
          condition(await mustGetCluster(client, "fails"), "Ready")?.reason,
          "Forbidden",
        );
      });

      await t.step("a terminal error keeps its own reason", async () => {
        script.set(() =>
          Promise.reject(new TerminalError("no such provider account", { reason: "BadAccount" }))
        );
        await assert.rejects(reconcile("fails"), TerminalError);
        assert.equal(
          condition(await mustGetCluster(client, "fails"), "Ready")?.reason,
          "BadAccount",
        );
      });

      await t.step("once the cause is gone the next reconcile moves on", async () => {
        script.set(() => undefined);
        await reconcile("fails");
        const lc = await mustGetCluster(client, "fails");
        assert.equal(lc.status?.phase, "Provisioning");
        assert.equal(condition(lc, "Ready")?.reason, "Provisioning");
      });
    } finally {
      client.close();
    }
  }, { crds: CRDS });
});

Deno.test("stopping the controller aborts an in-flight reconcile within 1 s", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => entered = resolve);
    const options = { selfName: "root", cell, workers: 1 };
    try {
      await client.create(clusterDoc("slow", { cellRef: "root" }));
      const before = structuredClone((await mustGetCluster(client, "slow")).status);
      // The phase hangs, as a slow apiserver call would, until its reconcile is cancelled.
      const hanging: BootstrapTokens = {
        ensure: (_c, _ns, { signal } = {}) => {
          entered();
          return new Promise<never>((_, reject) => {
            signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
          });
        },
        release: () => Promise.resolve(),
      };
      const term = new AbortController();
      const controller = clusterController(client, { ...options, tokens: hanging });
      const running = controller.run(term.signal);
      await inside;
      const started = performance.now();
      term.abort(new Error("lost leadership"));
      await running;
      const stoppedMs = performance.now() - started;
      assert.ok(stoppedMs < 1_000, `stopped in ${Math.round(stoppedMs)} ms`);
      const after = await mustGetCluster(client, "slow");
      assert.deepEqual(
        after.status?.conditions?.find((c) => c.type === "Ready"),
        before?.conditions?.find((c) => c.type === "Ready"),
        "a cancelled reconcile writes no status",
      );

      // The next leader resumes from what is persisted and gets through.
      const next = new AbortController();
      const successor = clusterController(client, { ...options, tokens: scriptedTokens().tokens });
      const resumed = successor.run(next.signal);
      const lc = await eventually(async () => {
        const c = await mustGetCluster(client, "slow");
        return c.status?.phase === "Provisioning" ? c : undefined;
      }, "the next leader provisions");
      assert.equal(condition(lc, "Ready")?.reason, "Provisioning");
      next.abort();
      await resumed;
    } finally {
      client.close();
    }
  }, { crds: CRDS });
});
