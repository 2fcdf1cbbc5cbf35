/**
 * The runtime against real control planes: ordered events, apiserver restarts, 410 relists,
 * controllers with owned watches, abort-and-drain on shutdown, leader election.
 */
import assert from "node:assert/strict";
import {
  EventRecorder,
  KubeClient,
  type KubeObject,
  type ResourceRef,
} from "../../lib/kube/mod.ts";
import {
  Action,
  Controller,
  LeaderElector,
  type Reconciler,
  RuntimeMetrics,
  Store,
  TerminalError,
  watcher,
  type WatchEvent,
} from "../../lib/runtime/mod.ts";
import { runOperator } from "../../lib/operator/mod.ts";
import { withControlPlane } from "./_plane.ts";
import { eventually } from "../runtime/_eventually.ts";
import { CONFIGMAP_REF, SECRET_REF } from "../../lib/kube/refs.ts";

const FAST = { initialMs: 100, maxMs: 1000 };

function cm(name: string, ns: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data };
}

async function namespace(client: KubeClient, name: string) {
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

/** Runs a watcher into a store until `stop` aborts; returns the store and event log. */
function reflect(client: KubeClient, ref: ResourceRef, options: Parameters<typeof watcher>[2]) {
  const store = new Store<KubeObject>();
  const log: WatchEvent<KubeObject>[] = [];
  const restarts: string[] = [];
  const done = (async () => {
    for await (
      const event of watcher(client, ref, {
        ...options,
        onRestart: (r) => restarts.push(r),
      })
    ) {
      log.push(event);
      store.apply(event);
    }
  })();
  return { store, log, restarts, done };
}

/** The true state: key → resourceVersion. */
async function truth(client: KubeClient, ns: string): Promise<Map<string, string>> {
  const list = await client.list(CONFIGMAP_REF, { namespace: ns });
  return new Map(
    list.items.map((o) => [`${ns}/${o.metadata!.name}`, o.metadata!.resourceVersion!]),
  );
}

function cached(store: Store<KubeObject>): Map<string, string> {
  return new Map(
    store.list().map((
      o,
    ) => [`${o.metadata!.namespace}/${o.metadata!.name}`, o.metadata!.resourceVersion!]),
  );
}

Deno.test("watcher: ordered events, apiserver restart, selectors", async (t) => {
  await withControlPlane(t, async (plane) => {
    using client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    await namespace(client, "w");

    await t.step("create, update, delete arrive in order after the initial list", async () => {
      await client.create(cm("pre", "w"));
      const stop = new AbortController();
      const r = reflect(client, CONFIGMAP_REF, {
        namespace: "w",
        signal: stop.signal,
        backoff: FAST,
      });
      await r.store.ready;
      assert.deepEqual(r.log.map((e) => e.type), ["init", "initApply", "initDone"]);
      const created = await client.create(cm("a", "w", { v: "1" }));
      const updated = await client.replace({ ...created, data: { v: "2" } });
      await client.delete(CONFIGMAP_REF, "a", "w");
      await eventually(() => r.log.length >= 6);
      const tail = r.log.slice(3).map((e) =>
        "object" in e
          ? `${e.type}:${e.object.metadata?.name}:${e.object.metadata?.resourceVersion}`
          : e.type
      );
      assert.equal(tail[0], `apply:a:${created.metadata?.resourceVersion}`);
      assert.equal(tail[1], `apply:a:${updated.metadata?.resourceVersion}`);
      assert.match(tail[2], /^delete:a:/);
      assert.equal(r.store.get("w/a"), undefined);
      assert.equal(r.log.filter((e) => e.type === "error").length, 0);
      stop.abort();
      await r.done;
    });

    await t.step("label selectors filter the list and the watch", async () => {
      const stop = new AbortController();
      const r = reflect(client, CONFIGMAP_REF, {
        namespace: "w",
        labelSelector: "pick=yes",
        signal: stop.signal,
        backoff: FAST,
      });
      await r.store.ready;
      await client.create({
        ...cm("no", "w"),
        metadata: { name: "no", namespace: "w", labels: { pick: "no" } },
      });
      await client.create({
        ...cm("yes", "w"),
        metadata: { name: "yes", namespace: "w", labels: { pick: "yes" } },
      });
      await eventually(() => r.store.size === 1);
      assert.ok(r.store.get("w/yes"));
      stop.abort();
      await r.done;
    });

    await t.step("restarting kube-apiserver mid-watch: the store converges", async () => {
      const stop = new AbortController();
      const r = reflect(client, CONFIGMAP_REF, {
        namespace: "w",
        signal: stop.signal,
        backoff: FAST,
      });
      await r.store.ready;
      for (let i = 0; i < 5; i++) await client.create(cm(`r${i}`, "w", { v: "0" }));
      await plane.restartApiServer();
      // Changes after the restart must reach the store through the re-established watch.
      await client.delete(CONFIGMAP_REF, "r0", "w");
      const r1 = await client.get<KubeObject>(CONFIGMAP_REF, "r1", "w");
      await client.replace({ ...r1, data: { v: "after" } });
      await client.create(cm("r9", "w"));
      const want = await truth(client, "w");
      await eventually(async () => {
        const now = await truth(client, "w");
        return JSON.stringify([...cached(r.store)].sort()) === JSON.stringify([...now].sort());
      }, 30_000);
      assert.ok(want.has("w/r9") && !want.has("w/r0"));
      assert.ok(r.restarts.length >= 1, "the watch was restarted");
      assert.equal(
        r.store.get("w/r1")?.data && (r.store.get("w/r1")!.data as Record<string, string>).v,
        "after",
      );
      stop.abort();
      await r.done;
    });
  });
});

Deno.test("watcher: 410 Gone after etcd compaction relists without loss", async (t) => {
  await withControlPlane(t, async (plane) => {
    using client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    await namespace(client, "a");
    await namespace(client, "b");
    for (let i = 0; i < 3; i++) await client.create(cm(`x${i}`, "a"));
    const stop = new AbortController();
    // etcd-served watches send no bookmarks, so a quiet watch keeps its old RV; the short
    // idle timeout makes it reconnect from that RV, which compaction has made too old.
    const r = reflect(client, CONFIGMAP_REF, {
      namespace: "a",
      signal: stop.signal,
      backoff: FAST,
      idleTimeoutMs: 1500,
    });
    await r.store.ready;
    for (let i = 0; i < 20; i++) await client.create(cm(`noise${i}`, "b"));
    await plane.compactEtcd();
    await eventually(() => r.restarts.includes("gone"), 20_000);
    // Relisted after the 410: a second init…initDone bracket.
    await eventually(() => r.log.filter((e) => e.type === "initDone").length >= 2);
    assert.equal(r.log.filter((e) => e.type === "error").length, 0, "410 is not an error");
    await client.delete(CONFIGMAP_REF, "x0", "a");
    await client.create(cm("x3", "a"));
    await eventually(async () => {
      const now = await truth(client, "a");
      return JSON.stringify([...cached(r.store)].sort()) === JSON.stringify([...now].sort());
    }, 20_000);
    assert.deepEqual(r.store.keys().sort(), ["a/x1", "a/x2", "a/x3"]);
    stop.abort();
    await r.done;
  }, { watchCache: false });
});

Deno.test("controller: owned watches, retries, terminal errors, requeue, drain", async (t) => {
  await withControlPlane(t, async (plane) => {
    using client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    await namespace(client, "c");
    const calls: string[] = [];
    let release: () => void = () => {};
    const slowGate = new Promise<void>((r) => release = r);
    let slowSignal: AbortSignal | undefined;
    let slowFinished = false;
    const reconciler: Reconciler = {
      async reconcile(obj, ctx) {
        const name = obj.metadata!.name!;
        calls.push(name);
        const count = calls.filter((c) => c === name).length;
        if (name === "ok") {
          await client.apply({
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
              name: "ok-secret",
              namespace: "c",
              ownerReferences: [{
                apiVersion: "v1",
                kind: "ConfigMap",
                name,
                uid: obj.metadata!.uid!,
                controller: true,
              }],
            },
            stringData: { at: String(count) },
          });
          return Action.done();
        }
        if (name === "flaky" && count < 3) throw new Error("transient");
        if (name === "bad") throw new TerminalError("spec can never work");
        if (name === "poll") return count < 3 ? Action.requeueAfter(100) : Action.done();
        if (name === "slow") {
          // Honours its signal, as every reconciler must: returns at the abort.
          slowSignal = ctx.signal;
          await Promise.race([
            slowGate,
            new Promise((r) => ctx.signal.addEventListener("abort", r, { once: true })),
          ]);
          slowFinished = true;
          ctx.signal.throwIfAborted();
        }
        return Action.done();
      },
    };
    const metrics = new RuntimeMetrics();
    const controller = new Controller(client, {
      ref: CONFIGMAP_REF,
      reconciler,
      namespace: "c",
      labelSelector: "role=primary",
      owns: [{ ref: SECRET_REF, namespace: "c" }],
      workers: 3,
      metrics,
      recorder: new EventRecorder(client, { component: "test-controller" }),
      queue: { baseDelayMs: 50, maxDelayMs: 500 },
      watch: { backoff: FAST },
    });
    const stop = new AbortController();
    const running = controller.run(stop.signal);
    await controller.ready;
    const primary = (name: string) => ({
      ...cm(name, "c"),
      metadata: { name, namespace: "c", labels: { role: "primary" } },
    });

    await t.step("reconciles; deleting an owned object wakes its owner", async () => {
      await client.create(primary("ok"));
      await eventually(async () =>
        (await client.list(SECRET_REF, { namespace: "c" })).items.length === 1
      );
      await client.delete(SECRET_REF, "ok-secret", "c");
      await eventually(() => calls.filter((c) => c === "ok").length >= 2);
      await eventually(async () =>
        (await client.list(SECRET_REF, { namespace: "c" })).items.some((s) =>
          s.metadata?.name === "ok-secret"
        )
      );
    });

    await t.step("errors back off and retry; terminal errors are recorded once", async () => {
      await client.create(primary("flaky"));
      await client.create(primary("bad"));
      await client.create(primary("poll"));
      await eventually(() => calls.filter((c) => c === "flaky").length === 3);
      await eventually(() => calls.filter((c) => c === "poll").length === 3);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(calls.filter((c) => c === "bad").length, 1, "terminal: not retried");
      assert.equal(calls.filter((c) => c === "flaky").length, 3, "no retry after success");
      // controller-runtime counts a terminal error as result="error", and apart.
      assert.equal(metrics.terminalErrors.get({ controller: "configmaps" }), 1);
      assert.equal(metrics.reconcileTotal.get({ controller: "configmaps", result: "error" }), 3);
      assert.equal(metrics.reconcileErrors.get({ controller: "configmaps" }), 3);
      const events = await client.list<Record<string, unknown>>(
        await client.resourceFor("events.k8s.io/v1", "Event"),
        { namespace: "c" },
      );
      assert.ok(events.items.some((e) => e.reason === "ReconcileFailed" && e.type === "Warning"));
    });

    await t.step("shutdown aborts in-flight reconciles and waits for them to return", async () => {
      await client.create(primary("slow"));
      await eventually(() => slowSignal !== undefined);
      const started = performance.now();
      stop.abort();
      await running;
      assert.ok(performance.now() - started < 1_000, "stopped within a second");
      assert.equal(slowSignal?.aborted, true, "the in-flight reconcile was aborted");
      assert.equal(slowFinished, true, "run() returned only after the reconcile did");
      release();
    });
  });
});

Deno.test("leader election: one leader reconciles; the other takes over after it stops", async (t) => {
  await withControlPlane(t, async (plane) => {
    using client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    await namespace(client, "l");
    const seen: Record<string, string[]> = { a: [], b: [] };
    const leaseMs = 2000;
    const start = (id: "a" | "b", releaseOnCancel: boolean) => {
      const stop = new AbortController();
      const elector = new LeaderElector(client, {
        name: "test-lock",
        namespace: "l",
        identity: id,
        leaseDurationMs: leaseMs,
        renewDeadlineMs: 1500,
        retryPeriodMs: 200,
        releaseOnCancel,
      });
      const controller = new Controller(client, {
        ref: CONFIGMAP_REF,
        namespace: "l",
        reconciler: {
          reconcile(obj) {
            seen[id].push(obj.metadata!.name!);
            return Promise.resolve(Action.done());
          },
        },
      });
      const done = elector.run(stop.signal, (signal) => controller.run(signal));
      return { elector, stop, done };
    };
    const a = start("a", false);
    await eventually(() => a.elector.isLeader);
    const b = start("b", true);
    await client.create(cm("one", "l"));
    await eventually(() => seen.a.includes("one"));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(b.elector.isLeader, false);
    assert.deepEqual(seen.b, [], "the follower reconciles nothing");

    // "a" stops without releasing, as if it crashed: "b" must wait out the lease.
    a.stop.abort();
    await a.done;
    const stoppedAt = Date.now();
    await eventually(() => b.elector.isLeader, 10_000, 20);
    const takeover = Date.now() - stoppedAt;
    assert.ok(takeover <= leaseMs + 1000, `took over in ${takeover} ms`);
    await client.create(cm("two", "l"));
    await eventually(() => seen.b.includes("two"));
    assert.ok(!seen.a.includes("two"));

    b.stop.abort();
    await b.done;
    const leases = await client.resourceFor("coordination.k8s.io/v1", "Lease");
    const lease = await client.get<{ spec: { holderIdentity?: string } }>(leases, "test-lock", "l");
    assert.equal(lease.spec.holderIdentity ?? "", "", "released on graceful shutdown");
  });
});

Deno.test("operator process: probes and metrics over a running controller", async (t) => {
  await withControlPlane(t, async (plane) => {
    using client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    await client.create(cm("seen", "default"));
    const stop = new AbortController();
    let port = 0;
    const running = runOperator(client, {
      port: 0,
      hostname: "127.0.0.1",
      onListen: (p) => port = p,
      signal: stop.signal,
      controllers: ({ client, metrics }) => [
        new Controller(client, {
          ref: CONFIGMAP_REF,
          namespace: "default",
          metrics,
          reconciler: { reconcile: () => Promise.resolve(Action.done()) },
        }),
      ],
    });
    try {
      await eventually(() => port !== 0);
      const get = async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: res.status, text: await res.text() };
      };
      assert.equal((await get("/healthz")).status, 200);
      await eventually(async () => (await get("/readyz")).status === 200);
      await eventually(async () =>
        /controller_runtime_reconcile_total\{controller="configmaps",result="success"\} [1-9]/.test(
          (await get("/metrics")).text,
        )
      );
      const metrics = (await get("/metrics")).text;
      for (
        const name of [
          "controller_runtime_reconcile_time_seconds_bucket",
          'workqueue_depth{controller="configmaps",name="configmaps"}',
          "lattice_watch_events_total",
          'controller_runtime_reconcile_total{controller="configmaps",result="requeue_after"} 0',
          "process_resident_memory_bytes",
          "process_cpu_seconds_total",
          "process_start_time_seconds",
          'rest_client_requests_total{code="200",host=',
        ]
      ) assert.ok(metrics.includes(name), name);
    } finally {
      stop.abort();
      await running;
    }
  });
});
