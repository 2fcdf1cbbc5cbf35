/** `lattice capi-init`'s in-cluster kubeconfig and its refusal outside a cluster (no API server). */
import assert from "node:assert/strict";
import { inClusterKubeconfig } from "../../lib/install/capi_init.ts";
import { cli } from "../cli/_cli.ts";

Deno.test("capi-init's kubeconfig points clusterctl at the service account's files", async () => {
  const config = JSON.parse(
    inClusterKubeconfig({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "6443" }),
  );
  assert.equal(config.clusters[0].cluster.server, "https://10.0.0.1:6443");
  assert.equal(
    config.clusters[0].cluster["certificate-authority"],
    "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
  );
  assert.equal(
    config.users[0].user.tokenFile,
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
  );
  assert.equal(
    JSON.parse(inClusterKubeconfig({ KUBERNETES_SERVICE_HOST: "fd00::1" })).clusters[0].cluster
      .server,
    "https://[fd00::1]:443",
  );
  assert.throws(() => inClusterKubeconfig({}), /KUBERNETES_SERVICE_HOST is not set/);
  const r = await cli(["capi-init"], { LATTICE_CLUSTER_NAME: "east" });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot install Cluster API: .*KUBERNETES_SERVICE_HOST is not set/);
});
