import { clusterController, secretBootstrapTokens } from "/work/main/lib/controllers/cluster/mod.ts";
import { BootstrapTokens, MemoryTokenBackend } from "/work/main/lib/pki/mod.ts";
import { KubeClient } from "/work/main/lib/kube/mod.ts";
import { createLogger } from "/work/main/lib/log/mod.ts";
import { withControlPlane } from "/work/main/tests/integration/_plane.ts";
import { clusterDoc, getCluster } from "/work/main/tests/integration/_cluster_helpers.ts";
Deno.test("dbg", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = await KubeClient.fromKubeconfigFile(plane.kubeconfigPath);
    const controller = clusterController(client, {
      selfName: "root", cell: { url: "https://x", caBundlePem: "x" },
      tokens: secretBootstrapTokens(client, new BootstrapTokens(new MemoryTokenBackend())),
      logger: createLogger({ level: "debug", format: "text" }), pollMs: 600000,
    });
    const stop = new AbortController();
    const running = controller.run(stop.signal);
    await client.create(clusterDoc("child-w", { cellRef: "root" }));
    await new Promise((r) => setTimeout(r, 4000));
    console.log("phase", (await getCluster(client, "child-w"))?.status?.phase);
    stop.abort(); console.log("aborted"); await running; console.log("stopped"); client.close();
  }, { crds: { lattice: true, upstream: ["cluster-api-v1.14.0/core", "cluster-api-v1.14.0/bootstrap-kubeadm", "cluster-api-v1.14.0/control-plane-kubeadm", "cluster-api-v1.14.0/infrastructure-docker"] } });
});
