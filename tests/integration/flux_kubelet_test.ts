/**
 * The sandbox's Flux kubelet on a real API server, with stand-in controller binaries (small
 * programs that answer /readyz on their --health-addr): an image maps to its binary, the
 * Deployment becomes available once the process answers, an image without a binary is
 * reported unavailable, a changed image restarts the process, a deleted Deployment stops it.
 * (The real controllers run in tests/e2e/gitops_test.ts.)
 */
import assert from "node:assert/strict";
import { DEPLOYMENT_REF, KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { binaryForImage, FluxKubelet } from "../../lib/sandbox/flux_kubelet.ts";
import { deploymentAvailable, type DeploymentView } from "../../lib/flux/health.ts";
import { withControlPlane } from "./_plane.ts";
import { until } from "../_until.ts";

const FAKE = `#!/bin/sh
# A stand-in Flux controller: answers /readyz on --health-addr.
for a in "$@"; do case "$a" in --health-addr=*) addr="\${a#--health-addr=}";; esac; done
exec '${Deno.execPath()}' run -A --quiet - "$addr" <<'TS'
const [host, port] = Deno.args[0].split(":");
Deno.serve({ hostname: host, port: Number(port), onListen() {} }, () => new Response("ok"));
TS
`;

function deployment(name: string, image: string): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: "flux-system",
      labels: { "app.kubernetes.io/part-of": "flux" },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "manager", image }] },
      },
    },
  } as KubeObject;
}

Deno.test("binaryForImage maps Flux images to local binaries", () => {
  assert.equal(
    binaryForImage("ghcr.io/fluxcd/source-controller:v1.9.3", "/b"),
    "/b/source-controller-v1.9.3",
  );
  assert.equal(
    binaryForImage("fluxcd/kustomize-controller:v1.7.2", "/b"),
    "/b/kustomize-controller-v1.7.2",
  );
  assert.equal(binaryForImage("ghcr.io/fluxcd/source-controller:latest", "/b"), undefined);
  assert.equal(binaryForImage("nginx:1.27", "/b"), undefined);
});

Deno.test("the Flux kubelet runs, restarts and stops controller processes", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    const bin = await Deno.makeTempDir({ prefix: "lattice-fluxbin-" });
    for (const v of ["v1.0.0", "v1.1.0"]) {
      await Deno.writeTextFile(`${bin}/fake-controller-${v}`, FAKE, { mode: 0o755 });
    }
    const kubelet = new FluxKubelet(client, {
      cluster: "test",
      kubeconfigPath: plane.kubeconfigPath,
      dir: `${bin}/run`,
      binDir: bin,
      pollMs: 200,
    });
    const get = (name: string) => client.get<DeploymentView>(DEPLOYMENT_REF, name, "flux-system");
    try {
      await client.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "flux-system" },
      });
      await client.apply(deployment("fake-controller", "ghcr.io/fluxcd/fake-controller:v1.0.0"));
      await client.apply(deployment("missing", "ghcr.io/fluxcd/missing:v9.9.9"));
      kubelet.start();
      await until(
        "fake available",
        async () => deploymentAvailable(await get("fake-controller")) || undefined,
        60_000,
      );
      assert.equal(kubelet.pids().length, 1);
      const first = kubelet.pids()[0];
      const missing = await until("missing reported", async () => {
        const d = await get("missing") as DeploymentView & {
          status?: { conditions?: { reason?: string; message?: string }[] };
        };
        return d.status?.conditions?.[0]?.reason === "ImageUnavailable" ? d : undefined;
      }, 30_000);
      assert.equal(deploymentAvailable(missing), false);
      assert.match(missing.status!.conditions![0].message!, /no local binary.*install_flux_bins/);

      await client.apply(deployment("fake-controller", "ghcr.io/fluxcd/fake-controller:v1.1.0"));
      await until("restarted on the new image", async () => {
        const d = await get("fake-controller");
        const pids = kubelet.pids();
        return deploymentAvailable(d) && pids.length === 1 && pids[0] !== first ? true : undefined;
      }, 60_000);

      await client.delete(DEPLOYMENT_REF, "fake-controller", "flux-system");
      await until(
        "stopped",
        () => Promise.resolve(kubelet.pids().length === 0 ? true : undefined),
        30_000,
      );
    } finally {
      await kubelet.stop();
      client.close();
      await Deno.remove(bin, { recursive: true }).catch(() => {});
    }
  });
});
