/**
 * The pieces of `lattice install`'s kind backend checked on a real API server: clusterctl's
 * inventory as read back, and the bootstrap cell's objects as applied (no Docker engine).
 */
import assert from "node:assert/strict";
import { installedProviders, PROVIDER_INVENTORY } from "../../lib/install/clusterctl.ts";
import {
  BOOTSTRAP_CELL_NAME,
  BOOTSTRAP_PORTS,
  bootstrapCellObjects,
  waitForOperator,
} from "../../lib/install/kind.ts";
import { applyBundle } from "../../lib/join/apply.ts";
import { cniConfigMap } from "../../lib/bundle/mod.ts";
import { readCniManifests } from "../../lib/operator/cell_role.ts";
import { KubeClient, type KubeObject } from "../../lib/kube/mod.ts";
import { silentLogger } from "../../lib/log/mod.ts";
import { withControlPlane } from "./_plane.ts";

type Container = { args: string[]; image: string };
type ServicePort = { name: string; port: number; nodePort?: number };

Deno.test("clusterctl: the installed providers are read from its inventory", async (t) => {
  await withControlPlane(t, async (plane) => {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    try {
      await client.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "capi-system" },
      });
      await client.apply({
        apiVersion: "clusterctl.cluster.x-k8s.io/v1alpha3",
        kind: "Provider",
        metadata: { name: "cluster-api", namespace: "capi-system" },
        providerName: "cluster-api",
        type: "CoreProvider",
        version: "v1.14.0",
      } as KubeObject);
      assert.deepEqual(await installedProviders(client), [
        { type: "CoreProvider", name: "cluster-api" },
      ]);
      assert.equal(PROVIDER_INVENTORY.plural, "providers");
    } finally {
      client.close();
    }
  }, { crds: { upstream: ["cluster-api-v1.14.0/clusterctl"] } });
  await withControlPlane(t, async (plane) => {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    try {
      assert.deepEqual(await installedProviders(client), [], "no clusterctl inventory yet");
    } finally {
      client.close();
    }
  });
});

Deno.test("the bootstrap cell's install is accepted by a real API server", async (t) => {
  const objects = bootstrapCellObjects("lattice-bootstrap", "example.com/lattice:dev");
  const deployment = objects.find((o) => o.kind === "Deployment")!;
  const container =
    (deployment.spec as { template: { spec: { containers: Container[] } } }).template.spec
      .containers[0];
  assert.equal(container.image, "example.com/lattice:dev");
  assert.deepEqual(container.args.slice(container.args.indexOf("--bootstrap-cell")), [
    "--bootstrap-cell",
    "--cluster-name",
    BOOTSTRAP_CELL_NAME,
    "--cell-host",
    "lattice-bootstrap-control-plane",
    "--https-port",
    "31443",
    "--grpc-port",
    "31051",
  ]);
  const service = objects.find((o) => o.kind === "Service")!;
  const spec = service.spec as { type: string; ports: ServicePort[] };
  assert.equal(spec.type, "NodePort");
  assert.deepEqual(
    spec.ports.filter((p) => p.nodePort).map((p) => [p.name, p.port, p.nodePort]),
    [["https", BOOTSTRAP_PORTS.https, 31443], ["grpc", BOOTSTRAP_PORTS.grpc, 31051]],
  );
  await withControlPlane(t, async (plane) => {
    const client = KubeClient.fromKubeconfig(plane.kubeconfig);
    try {
      assert.equal(await readCniManifests(client), undefined, "no CNI handed on yet");
      const cni =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cni, namespace: kube-system}\n";
      const all = [...objects, cniConfigMap(cni)];
      assert.equal(
        await applyBundle(client, all, { fieldManager: "lattice-install", logger: silentLogger }),
        all.length,
      );
      assert.equal(await readCniManifests(client), cni, "the cell hands this CNI to children");
      // No kubelet runs here: the wait gives up and says what it saw.
      await assert.rejects(
        () => waitForOperator(client, 300, 100),
        /Deployment has no available pod after 0\.3s: no pods\. If the image is only in the local Docker engine, pass --load-image/,
      );
    } finally {
      client.close();
    }
  });
});
