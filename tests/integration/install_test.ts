/**
 * `lattice install`'s flow on real planes, with the sandbox as its bootstrap (Cluster API's
 * controllers and machines simulated by the CAPI simulator): the bootstrap cell provisions
 * a root without a parent, the root's kubeconfig is saved, the root is pivoted, checked,
 * detached, and the bootstrap is deleted while the root lives on.
 */
import assert from "node:assert/strict";
import { install } from "../../lib/install/install.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { inProcessOperator, sandboxRootExample, sourceShim } from "../../lib/sandbox/mod.ts";
import { SandboxBootstrap } from "../../lib/sandbox/sandbox_bootstrap.ts";
import { LATTICE_CLUSTER, read } from "../e2e/_fleet.ts";

async function backendIn(dir: string) {
  return new SandboxBootstrap({
    dir,
    logger: createLogger({ level: "error", format: "text" }),
    startOperator: inProcessOperator({
      binary: await sourceShim(`${dir}/bin`),
      heartbeatIntervalMs: 1_000,
    }),
  });
}

Deno.test("install: the root is provisioned, pivoted onto itself and outlives the bootstrap", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-install-test-" });
  const backend = await backendIn(dir);
  const lines: string[] = [];
  try {
    const out = `${dir}/root.kubeconfig`;
    const options = {
      root: sandboxRootExample({ enabled: true, host: "localhost" }),
      backend,
      kubeconfigOut: out,
      timeoutMs: 180_000,
      pollMs: 250,
      print: (line: string) => lines.push(line),
    };
    // Interrupted before the bootstrap is deleted, then run again: it picks up where it was.
    await install({ ...options, keepBootstrap: true });
    assert.ok(backend.sandbox?.planeOf("bootstrap"), "kept");
    const firstRun = lines.length;
    const result = await install(options);
    const again = lines.slice(firstRun).join("\n");
    assert.match(again, /\] root: Ready$/m, "found Ready at once");
    assert.doesNotMatch(again, /Provisioning/);
    const text = lines.join("\n");
    assert.match(text, /Creating the bootstrap cluster \(sandbox bootstrap plane/);
    assert.match(text, /root: Provisioning → Pivoting/);
    assert.match(text, /root's API answers; kubeconfig written to/);
    assert.match(text, /The root's machines and its Cluster API are played by the CAPI simulator/);
    assert.match(text, /root holds its own Cluster API objects; detaching it/);
    assert.match(text, /Deleting the bootstrap cluster/);
    assert.match(result.timeline.join("\n"), /^root: .*Ready/);

    assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(out), result.kubeconfig);
    const sandbox = backend.sandbox!;
    assert.equal(sandbox.planeOf("bootstrap"), undefined, "the bootstrap plane is gone");
    const root = KubeClient.fromKubeconfig(result.kubeconfig);
    try {
      const own = await root.get<KubeObject>(LATTICE_CLUSTER, "root");
      assert.equal((own.spec as { cellRef?: string }).cellRef, undefined);
      const capi = await root.resourceFor("cluster.x-k8s.io/v1beta2", "Cluster");
      await root.get(capi, "root", "capi-root");
      const agent = await read(
        result.kubeconfig,
        { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
        "lattice-agent",
        "lattice-system",
      );
      assert.equal(agent, undefined, "the root has no parent any more");
      const deployments = await root.resourceFor("apps/v1", "Deployment");
      const operator = await root.get<KubeObject>(
        deployments,
        "lattice-operator",
        "lattice-system",
      );
      const annotations = (operator.spec as {
        template: { metadata?: { annotations?: Record<string, string> } };
      }).template.metadata?.annotations ?? {};
      assert.ok(annotations["kubectl.kubernetes.io/restartedAt"], "the operator is restarted");
    } finally {
      root.close();
    }
  } finally {
    await backend.sandbox?.down();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("install: a root that fails says why and keeps the bootstrap for inspection", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lattice-install-test-" });
  const backend = await backendIn(dir);
  try {
    // NodePort without node ports in range: refused (by the CRD's rule, with the operator's
    // message) when the root is applied to the bootstrap cluster.
    await assert.rejects(
      () =>
        install({
          root: sandboxRootExample({ enabled: true, service: { type: "NodePort" } }),
          backend,
          kubeconfigOut: `${dir}/root.kubeconfig`,
          timeoutMs: 60_000,
          pollMs: 250,
        }),
      /Cannot install: .*spec\.cell\.ports: .*must set both https and grpc to ports in 30000-32767/,
    );
    assert.ok(backend.sandbox?.planeOf("bootstrap"), "the bootstrap is kept");
  } finally {
    await backend.sandbox?.down();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
