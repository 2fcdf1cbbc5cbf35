/**
 * The pieces of `lattice install`'s kind backend that need neither a Docker engine nor an API
 * server: the kind configuration, clusterctl's arguments, the tool runner and the
 * prerequisite check (tests/integration/install_kind_test.ts covers the rest).
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { LatticeClusterInput } from "../../lib/api/mod.ts";
import {
  clusterctlInitArgs,
  missingProviders,
  requiredProviders,
} from "../../lib/install/clusterctl.ts";
import {
  keepLoadingImage,
  KindBootstrap,
  kindClusterConfig,
  kindNodeName,
  readManifest,
} from "../../lib/install/kind.ts";
import { findOnPath, missingPrerequisites } from "../../lib/install/prerequisites.ts";
import { runTool } from "../../lib/tools/run.ts";

Deno.test("kind: one node with the host's Docker socket for CAPD", () => {
  const config = parse(kindClusterConfig());
  assert.equal(config.kind, "Cluster");
  assert.equal(config.apiVersion, "kind.x-k8s.io/v1alpha4");
  assert.deepEqual(config.nodes, [{
    role: "control-plane",
    extraMounts: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }],
  }]);
  assert.equal(kindNodeName("lattice-bootstrap"), "lattice-bootstrap-control-plane");
});

Deno.test("clusterctl: required providers follow the spec; init adds only what is missing", () => {
  const spec = (bootstrap: "kubeadm" | "rke2", config: Record<string, unknown>) => ({
    provider: { kubernetes: { version: "1.33.1", bootstrap }, config },
    nodes: { controlPlane: 1, workers: 1 },
  });
  assert.deepEqual(requiredProviders(spec("kubeadm", { docker: {} })), [
    { type: "CoreProvider", name: "cluster-api" },
    { type: "BootstrapProvider", name: "kubeadm" },
    { type: "ControlPlaneProvider", name: "kubeadm" },
    { type: "InfrastructureProvider", name: "docker" },
  ]);
  const rke2 = requiredProviders(spec("rke2", { aws: { region: "eu-west-1" } }));
  assert.deepEqual(rke2.map((p) => p.name), ["cluster-api", "rke2", "rke2", "aws"]);
  assert.throws(() => requiredProviders(spec("kubeadm", {})), /names no supported provider/);

  const missing = missingProviders(rke2, [
    { type: "CoreProvider", name: "cluster-api" },
    { type: "BootstrapProvider", name: "kubeadm" },
  ]);
  assert.deepEqual(clusterctlInitArgs("/k", missing), [
    "init",
    "--kubeconfig",
    "/k",
    "--bootstrap",
    "rke2",
    "--control-plane",
    "rke2",
    "--infrastructure",
    "aws",
    "--wait-providers",
    "--wait-provider-timeout",
    "600",
  ]);
  assert.equal(clusterctlInitArgs("/k", []), undefined);
});

Deno.test("runTool names the command and keeps the end of what it printed", async () => {
  const ok = await runTool("sh", ["-c", "echo out; echo err >&2"]);
  assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, "out\n", "err\n"]);
  assert.equal((await runTool("sh", ["-c", "cat"], { stdin: "piped" })).stdout, "piped");
  await assert.rejects(
    () => runTool("sh", ["-c", "echo nope >&2; exit 3"], { label: "the tool" }),
    /^Error: Cannot run the tool: exit code 3: nope$/,
  );
  const failed = await runTool("sh", ["-c", "exit 4"], { allowFailure: true });
  assert.equal(failed.code, 4);
  await assert.rejects(
    () => runTool("lattice-no-such-tool", ["x"]),
    /Cannot run lattice-no-such-tool x: lattice-no-such-tool is not installed \(not found on PATH\)/,
  );
  const long = await runTool("sh", ["-c", "head -c 5000 /dev/zero | tr '\\0' a >&2; exit 1"], {
    allowFailure: true,
  });
  assert.equal(long.stderr.length, 5000);
  await assert.rejects(
    () => runTool("sh", ["-c", "head -c 5000 /dev/zero | tr '\\0' a >&2; exit 1"]),
    /… \(3000 characters before\) a{2000}$/,
  );
});

Deno.test("prerequisites: each missing or failing tool is named with what to install", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/good`, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    await Deno.writeTextFile(`${dir}/bad`, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    await Deno.writeTextFile(`${dir}/plain`, "not executable", { mode: 0o644 });
    const list = [
      { name: "good", args: [], hint: "g" },
      { name: "bad", args: [], hint: "a working bad" },
      { name: "plain", args: [], hint: "an executable plain" },
      { name: "absent", args: [], hint: "absent v1" },
    ];
    assert.deepEqual(await missingPrerequisites(list, `/nonexistent:${dir}`), [
      "bad: a working bad",
      "plain: an executable plain",
      "absent: absent v1",
    ]);
    assert.equal(findOnPath("good", `${dir}`), `${dir}/good`);
    assert.equal(findOnPath("sh", ""), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readManifest reads a file or a URL, and names what it cannot read", async () => {
  const dir = await Deno.makeTempDir();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/cni.yaml"
        ? new Response("kind: X\n")
        : new Response("no", { status: 404 }),
  );
  try {
    await Deno.writeTextFile(`${dir}/cni.yaml`, "kind: Y\n");
    assert.equal(await readManifest(`${dir}/cni.yaml`), "kind: Y\n");
    const base = `http://127.0.0.1:${server.addr.port}`;
    assert.equal(await readManifest(`${base}/cni.yaml`), "kind: X\n");
    await assert.rejects(
      () => readManifest(`${base}/gone.yaml`),
      /Cannot read .*gone\.yaml: HTTP 404/,
    );
    await assert.rejects(() => readManifest(`${dir}/none.yaml`), /Cannot read .*none\.yaml: /);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keepLoadingImage retries until stopped and says why a load failed", async () => {
  const lines: string[] = [];
  const path = Deno.env.get("PATH");
  Deno.env.set("PATH", "/nonexistent");
  try {
    const loader = keepLoadingImage("lattice:dev", "root", (l) => lines.push(l), 20);
    await new Promise((r) => setTimeout(r, 100));
    await loader.stop();
  } finally {
    Deno.env.set("PATH", path ?? "");
  }
  assert.equal(lines[0], "Loading lattice:dev into root's nodes as they join");
  const failures = lines.filter((l) => l.includes("cannot load lattice:dev into root yet"));
  assert.ok(failures.length >= 2, lines.join("\n"));
  assert.match(failures[0], /docker is not installed/);
});

Deno.test("KindBootstrap says which tool is missing; readying a root without --load-image is a no-op", async () => {
  const root: LatticeClusterInput = {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name: "root" },
    spec: {
      provider: { kubernetes: { version: "1.33.1" }, config: { docker: {} } },
      nodes: { controlPlane: 1, workers: 1 },
      cell: { host: "root.example.com" },
    },
  };
  const lines: string[] = [];
  const kind = new KindBootstrap(root, { image: "lattice:dev", workDir: "/nonexistent" });
  assert.equal(kind.description, "kind cluster lattice-bootstrap");
  await kind.prepareRoot("", root, (l) => lines.push(l));
  await kind.done();
  assert.equal(lines.length, 0);
  const path = Deno.env.get("PATH");
  Deno.env.set("PATH", "/nonexistent");
  try {
    await assert.rejects(
      () => kind.create((l) => lines.push(l)),
      /Cannot run kind get clusters: kind is not installed \(not found on PATH\)/,
    );
    await assert.rejects(
      () => kind.destroy(),
      /Cannot run kind delete cluster --name lattice-bootstrap/,
    );
  } finally {
    Deno.env.set("PATH", path ?? "");
  }
});
