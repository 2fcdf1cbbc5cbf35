/**
 * lib/sandbox against real etcd + kube-apiserver: CRDs, validation by the real apiserver,
 * isolation between planes, process cleanup, restarts and compaction.
 */
import assert from "node:assert/strict";
import { LatticeClusterSpecSchema } from "../../lib/api/mod.ts";
import { CLUSTER_API_CRD_SETS, installCrds, startControlPlane } from "../../lib/sandbox/mod.ts";
import { minimalClusterDocument } from "../api/fixtures.ts";
import { planeApi, withControlPlane } from "./_plane.ts";
import { readFirstLine } from "../../lib/sandbox/_process.ts";

const LC_PATH = "/apis/lattice.dev/v1alpha1/latticeclusters";

interface Status {
  kind: string;
  code: number;
  reason: string;
  message: string;
  details?: { causes?: { field: string; message: string }[] };
}

function alive(pid: number): boolean {
  try {
    // A reaped process has no /proc entry; a zombie would still show "Z".
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("control plane: Lattice and Cluster API CRDs on a real apiserver", async (t) => {
  await withControlPlane(t, async (_plane, api) => {
    await t.step("kubeconfig works with the real kubectl; RBAC is on", async () => {
      const ns = await api.kubectl(["get", "namespace", "default", "-o", "name"]);
      assert.equal(ns.stdout.trim(), "namespace/default");
      const version = await api.json<{ gitVersion: string }>("GET", "/version");
      assert.match(version.body.gitVersion, /^v1\.\d+\.\d+/);
      // An identity without bindings is denied: authorization is RBAC, not AlwaysAllow.
      const denied = await api.kubectl(["auth", "can-i", "list", "secrets", "--as=nobody"])
        .catch((e: Error) => e.message);
      assert.match(String(denied), /no/);
      assert.equal((await api.kubectl(["auth", "can-i", "list", "secrets"])).stdout.trim(), "yes");
    });

    await t.step("a valid LatticeCluster round-trips", async () => {
      const doc = minimalClusterDocument("rt-1");
      const created = await api.json<typeof doc & { metadata: { uid: string } }>(
        "POST",
        LC_PATH,
        { body: doc },
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.ok(created.body.metadata.uid);
      const got = await api.json<typeof doc>("GET", `${LC_PATH}/rt-1`);
      assert.equal(got.status, 200);
      // The apiserver applies the CRD's defaults, which must equal zod's.
      assert.deepEqual(got.body.spec, LatticeClusterSpecSchema.parse(doc.spec));
      const listed = await api.kubectl(["get", "latticeclusters", "-o", "name"]);
      assert.equal(listed.stdout.trim(), "latticecluster.lattice.dev/rt-1");
    });

    await t.step("invalid LatticeClusters are rejected with the schema's message", async () => {
      const zero = minimalClusterDocument("cp-zero");
      zero.spec.nodes.controlPlane = 0;
      const res = await api.json<Status>("POST", LC_PATH, { body: zero });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.reason, "Invalid");
      const cause = res.body.details?.causes?.find((c) => c.field === "spec.nodes.controlPlane");
      assert.ok(cause, JSON.stringify(res.body));
      assert.match(cause.message, /greater than or equal to 1/);

      // A DNS subdomain is a legal object name but not a DNS label: only the CRD's CEL rule
      // can reject it, with the message the schema declares.
      const dotted = minimalClusterDocument("dotted.name");
      const cel = await api.json<Status>("POST", LC_PATH, { body: dotted });
      assert.equal(cel.status, 422, JSON.stringify(cel.body));
      assert.match(cel.body.message, /metadata\.name must be a DNS-1123 label/);
    });

    await t.step("a cluster.x-k8s.io/v1beta2 Cluster can be created", async () => {
      const cluster = {
        apiVersion: "cluster.x-k8s.io/v1beta2",
        kind: "Cluster",
        metadata: { name: "capi-1", namespace: "default" },
        spec: {
          clusterNetwork: { pods: { cidrBlocks: ["192.168.0.0/16"] } },
          controlPlaneRef: {
            apiGroup: "controlplane.cluster.x-k8s.io",
            kind: "KubeadmControlPlane",
            name: "capi-1-cp",
          },
          infrastructureRef: {
            apiGroup: "infrastructure.cluster.x-k8s.io",
            kind: "DockerCluster",
            name: "capi-1",
          },
        },
      };
      const path = "/apis/cluster.x-k8s.io/v1beta2/namespaces/default/clusters";
      const created = await api.json<typeof cluster>("POST", path, { body: cluster });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.spec.infrastructureRef, cluster.spec.infrastructureRef);
      // The other chosen sets are served too.
      const crds = await api.kubectl(["get", "crd", "-o", "name"]);
      for (
        const name of [
          "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io",
          "kubeadmconfigs.bootstrap.cluster.x-k8s.io",
          "dockerclusters.infrastructure.cluster.x-k8s.io",
          "machinedeployments.cluster.x-k8s.io",
        ]
      ) {
        assert.ok(crds.stdout.includes(`/${name}`), name);
      }
    });
  }, { crds: { lattice: true, upstream: [...CLUSTER_API_CRD_SETS] } });
});

Deno.test("control plane: two planes run side by side, isolated", async () => {
  const [a, b] = await Promise.all([
    startControlPlane({ name: "iso-a" }),
    startControlPlane({ name: "iso-b" }),
  ]);
  const apiA = planeApi(a);
  const apiB = planeApi(b);
  try {
    assert.notEqual(a.server, b.server);
    assert.notEqual(a.etcdEndpoint, b.etcdEndpoint);
    assert.notEqual(a.dir, b.dir);
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "only-in-a" } };
    const path = "/api/v1/namespaces/default/configmaps";
    assert.equal((await apiA.json("POST", path, { body: cm })).status, 201);
    assert.equal((await apiA.json("GET", `${path}/only-in-a`)).status, 200);
    assert.equal((await apiB.json("GET", `${path}/only-in-a`)).status, 404);
    // installCrds on a running plane: A serves LatticeClusters, B does not know them.
    await installCrds(a, {
      lattice: true,
      upstream: ["cluster-api-v1.14.0/cluster.x-k8s.io_clusters.yaml"],
    });
    assert.equal((await apiA.json("GET", LC_PATH)).status, 200);
    assert.equal((await apiA.json("GET", "/apis/cluster.x-k8s.io/v1beta2/clusters")).status, 200);
    assert.equal((await apiB.json("GET", LC_PATH)).status, 404);
    // Each plane has its own CA: A's credentials and trust do not work against B.
    const crossed = Deno.createHttpClient({
      caCerts: [a.caCertPem],
      cert: a.clientCertPem,
      key: a.clientKeyPem,
    });
    try {
      await assert.rejects(fetch(`${b.server}/readyz`, { client: crossed }));
    } finally {
      crossed.close();
    }
  } finally {
    apiA.close();
    apiB.close();
    await Promise.all([a.stop(), b.stop()]);
  }
});

Deno.test("control plane: stop() leaves no process and no temp dir", async () => {
  const plane = await startControlPlane({ name: "stop" });
  const pids = plane.pids();
  assert.equal(pids.length, 2);
  assert.ok(pids.every(alive), "etcd and kube-apiserver run");
  assert.ok(await exists(plane.kubeconfigPath));
  await plane.stop();
  assert.deepEqual(plane.pids(), []);
  assert.deepEqual(pids.filter(alive), [], "no process survives stop()");
  assert.equal(await exists(plane.dir), false);
  await plane.stop(); // idempotent
});

Deno.test("control plane: processes die with the Deno process that started them", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_plane_child.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { pids, dir } = JSON.parse(await readFirstLine(child.stdout)) as {
    pids: number[];
    dir: string;
  };
  try {
    assert.equal(pids.length, 2);
    assert.ok(pids.every(alive));
    child.kill("SIGKILL"); // no chance to clean up: only the watchdogs can.
    await child.status;
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(pids.filter(alive), [], "servers outlived their Deno process");
  } finally {
    for (const pid of pids.filter(alive)) Deno.kill(pid, "SIGKILL");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("control plane: a failed start names the process and shows its log", async () => {
  const root = await Deno.makeTempDir({ prefix: "lattice-plane-fail-" });
  try {
    const err = await startControlPlane({
      name: "bad",
      apiServerArgs: ["--no-such-flag=1"],
      tempRoot: root,
    }).then(() => undefined, (e: Error) => e);
    assert.ok(err instanceof Error, "start must fail");
    assert.match(err.message, /^Cannot start control plane "bad": kube-apiserver exited/);
    assert.match(err.message, /no-such-flag/);
    const left = [];
    for await (const e of Deno.readDir(root)) left.push(e.name);
    assert.deepEqual(left, [], "the temp dir is removed");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("control plane: restartApiServer keeps data; compactEtcd expires old versions", async (t) => {
  await withControlPlane(t, async (plane, api) => {
    const path = "/api/v1/namespaces/default/configmaps";
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "keep" },
      data: { a: "1" },
    };
    const created = await api.json<{ metadata: { resourceVersion: string } }>("POST", path, {
      body: cm,
    });
    assert.equal(created.status, 201);
    const oldRv = created.body.metadata.resourceVersion;

    await t.step("restart keeps etcd's data and the port", async () => {
      const [, apiPidBefore] = plane.pids();
      await plane.restartApiServer();
      const [, apiPidAfter] = plane.pids();
      assert.notEqual(apiPidAfter, apiPidBefore);
      assert.equal(alive(apiPidBefore), false);
      const got = await api.json<{ data: Record<string, string> }>("GET", `${path}/keep`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body.data, { a: "1" });
    });

    await t.step("after compaction a watch from an old resourceVersion gets 410", async () => {
      const updated = await api.json("PUT", `${path}/keep`, {
        body: {
          ...cm,
          metadata: { name: "keep", resourceVersion: oldRv },
          data: { a: "2" },
        },
      });
      assert.equal(updated.status, 200);
      await plane.compactEtcd();
      const res = await api.fetch(
        `${path}?watch=1&resourceVersion=${oldRv}&fieldSelector=metadata.name%3Dkeep`,
        { signal: AbortSignal.timeout(10_000) },
      );
      // The apiserver answers 410 directly, or 200 with an ERROR event carrying a 410 Status.
      const first = await readFirstLine(res.body!);
      const code = res.status === 410 ? 410 : JSON.parse(first).object.code;
      assert.equal(code, 410, first);
    });
  }, { watchCache: false });
});
