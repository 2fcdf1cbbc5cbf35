import assert from "node:assert/strict";
import {
  CAPI_CLUSTER_LABEL,
  capiVersion,
  contentHash,
  generateCapiObjects,
  LATTICE_CLUSTER_LABEL,
  MANAGED_BY_LABEL,
  rke2Version,
  shellQuote,
} from "../../lib/capi/mod.ts";
import { MATRIX, minimalConfig, providerCluster, testBootstrap } from "./fixtures.ts";
import { PROVIDERS } from "../../lib/api/mod.ts";

const at = (obj: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], obj);

Deno.test("every object is labelled and lives in capi-<name>", () => {
  for (const { provider, bootstrap } of MATRIX) {
    const m = generateCapiObjects(providerCluster(provider, { bootstrap }), testBootstrap());
    assert.equal(m.namespace, `capi-${provider}-1`);
    assert.equal(m.objects.length, 8);
    for (const o of m.objects) {
      const labels = o.metadata.labels ?? {};
      assert.equal(labels[CAPI_CLUSTER_LABEL], `${provider}-1`, `${o.kind} cluster-name`);
      assert.equal(labels[LATTICE_CLUSTER_LABEL], `${provider}-1`);
      assert.equal(labels[MANAGED_BY_LABEL], "lattice");
      if (o.kind !== "Namespace") assert.equal(o.metadata.namespace, m.namespace);
    }
  }
});

Deno.test("spec fields reach the CAPI objects", () => {
  const cluster = providerCluster("docker", {
    version: "1.32.1", // CAPI wants v1.32.1: the generator adds the prefix (ADR version-v-prefix)
    controlPlane: 5,
    workers: 7,
    certSANs: ["a.example.com", "10.0.0.1"],
  });
  const m = generateCapiObjects(cluster, testBootstrap());
  assert.equal(at(m.controlPlane, "spec.version"), "v1.32.1");
  assert.equal(at(m.controlPlane, "spec.replicas"), 5);
  assert.deepEqual(
    at(m.controlPlane, "spec.kubeadmConfigSpec.clusterConfiguration.apiServer.certSANs"),
    ["a.example.com", "10.0.0.1"],
  );
  assert.equal(at(m.machineDeployment, "spec.replicas"), 7);
  assert.equal(at(m.machineDeployment, "spec.template.spec.version"), "v1.32.1");
  assert.deepEqual(at(m.cluster, "spec.clusterNetwork.pods.cidrBlocks"), ["10.244.0.0/16"]);
  assert.deepEqual(at(m.cluster, "spec.clusterNetwork.services.cidrBlocks"), ["10.96.0.0/12"]);
  assert.deepEqual(at(m.cluster, "spec.controlPlaneRef"), {
    apiGroup: "controlplane.cluster.x-k8s.io",
    kind: "KubeadmControlPlane",
    name: "docker-1-control-plane",
  });
});

Deno.test("every docker node mounts the host's Docker socket, for its own CAPD", () => {
  const mount = { containerPath: "/var/run/docker.sock", hostPath: "/var/run/docker.sock" };
  for (const bootstrap of ["kubeadm", "rke2"] as const) {
    for (const cell of [true, false]) {
      const cluster = providerCluster("docker", { bootstrap, cell });
      const m = generateCapiObjects(cluster, testBootstrap());
      for (const template of [m.controlPlaneTemplate, m.workerTemplate]) {
        // Cluster API v1.14's DevMachineTemplate: the Docker fields live in backend.docker.
        assert.equal(template.kind, "DevMachineTemplate");
        const docker = "spec.template.spec.backend.docker";
        assert.deepEqual(at(template, `${docker}.extraMounts`), [mount], bootstrap);
        assert.equal(at(template, `${docker}.customImage`), "kindest/node:v1.31.0");
      }
    }
  }
});

Deno.test("docker clusters use v1.14's DevCluster, never the deprecated Docker kinds", () => {
  const m = generateCapiObjects(providerCluster("docker"), testBootstrap());
  assert.equal(m.infraCluster.kind, "DevCluster");
  assert.deepEqual(at(m.infraCluster, "spec.backend"), { docker: {} });
  assert.ok(!JSON.stringify(m.objects).includes('"kind":"Docker'));
});

Deno.test("kinds: docker keeps the deprecated Docker kinds of an existing cluster", () => {
  const cluster = providerCluster("docker");
  cluster.spec.provider.config.docker = { customImage: "kindest/node:v1.31.0", kinds: "docker" };
  const m = generateCapiObjects(cluster, testBootstrap());
  assert.equal(m.infraCluster.kind, "DockerCluster");
  assert.deepEqual(at(m.infraCluster, "spec"), {});
  assert.equal(m.workerTemplate.kind, "DockerMachineTemplate");
  assert.equal(at(m.workerTemplate, "spec.template.spec.customImage"), "kindest/node:v1.31.0");
  assert.equal(at(m.workerTemplate, "spec.template.spec.backend"), undefined);
  assert.equal(at(m.cluster, "spec.infrastructureRef.kind"), "DockerCluster");
});

Deno.test("default CIDRs and no certSANs when unset", () => {
  const m = generateCapiObjects(providerCluster("docker", { minimal: true }), testBootstrap());
  assert.deepEqual(at(m.cluster, "spec.clusterNetwork.pods.cidrBlocks"), ["192.168.0.0/16"]);
  assert.deepEqual(at(m.cluster, "spec.clusterNetwork.services.cidrBlocks"), ["10.128.0.0/12"]);
  // Empty structs are omitted: the v1beta2 schema rejects `apiServer: {}`.
  assert.equal(at(m.controlPlane, "spec.kubeadmConfigSpec.clusterConfiguration"), undefined);
});

Deno.test("rke2 uses RKE2 kinds, versions and tlsSan", () => {
  const m = generateCapiObjects(providerCluster("aws", { bootstrap: "rke2" }), testBootstrap());
  assert.equal(m.controlPlane.kind, "RKE2ControlPlane");
  assert.equal(m.bootstrapTemplate.kind, "RKE2ConfigTemplate");
  assert.equal(at(m.controlPlane, "spec.version"), "v1.31.0+rke2r1");
  assert.equal(at(m.machineDeployment, "spec.template.spec.version"), "v1.31.0+rke2r1");
  assert.deepEqual(at(m.controlPlane, "spec.serverConfig.tlsSan"), ["aws-1.example.com"]);
  assert.equal(rke2Version("v1.30.2"), "v1.30.2+rke2r1");
  assert.equal(capiVersion("1.30.2", "kubeadm"), "v1.30.2");
});

Deno.test("the token is read from a Secret file, never inlined", () => {
  const secretToken = "abcdef.0123456789abcdef";
  for (const { provider, bootstrap } of MATRIX) {
    const m = generateCapiObjects(providerCluster(provider, { bootstrap }), testBootstrap());
    const text = JSON.stringify(m.objects);
    assert.ok(!text.includes(secretToken));
    const spec = m.controlPlane.spec as Record<string, unknown>;
    const files = (bootstrap === "rke2" ? spec.files : at(spec, "kubeadmConfigSpec.files")) as {
      path: string;
      contentFrom?: unknown;
      content?: string;
    }[];
    const token = files.find((f) => f.path === "/etc/lattice/token");
    assert.deepEqual(token?.contentFrom, {
      secret: { name: "lattice-bootstrap-token", key: "token" },
    });
    assert.equal(token?.content, undefined);
    const commands = (bootstrap === "rke2"
      ? spec.postRKE2Commands
      : at(spec, "kubeadmConfigSpec.postKubeadmCommands")) as string[];
    const all = commands.join("\n");
    assert.match(all, /--cacert \/etc\/lattice\/ca\.crt/);
    assert.match(all, /--retry 10/);
    assert.match(
      all,
      new RegExp(
        `lattice join --cell 'https://cell.example.com:8443' --cluster '${provider}-1' ` +
          "--token-file /etc/lattice/token --ca-file /etc/lattice/ca.crt --kubeconfig " +
          (bootstrap === "rke2" ? "/etc/rancher/rke2/rke2.yaml" : "/etc/kubernetes/admin.conf"),
      ),
    );
    assert.match(all, /-ge 5/, "join retries are bounded");
    // A node replacing another after the join never needs the parent.
    assert.match(
      all,
      new RegExp(
        `^if ${bootstrap === "rke2" ? "/var/lib/rancher/rke2/bin/kubectl" : "kubectl"} ` +
          `--kubeconfig \\S+ get latticeclusters\\.lattice\\.dev '${provider}-1' ` +
          `>/dev/null 2>&1; then echo "lattice: ${provider}-1 has joined already; nothing to do"; else `,
      ),
    );
  }
});

Deno.test("machine templates are renamed when their content changes, not otherwise", () => {
  const base = generateCapiObjects(providerCluster("aws"), testBootstrap());
  const scaled = generateCapiObjects(
    providerCluster("aws", { workers: 9, controlPlane: 5, version: "1.32.0" }),
    testBootstrap(),
  );
  assert.equal(scaled.controlPlaneTemplate.metadata.name, base.controlPlaneTemplate.metadata.name);
  assert.equal(scaled.workerTemplate.metadata.name, base.workerTemplate.metadata.name);
  assert.equal(scaled.bootstrapTemplate.metadata.name, base.bootstrapTemplate.metadata.name);

  const bigger = providerCluster("aws");
  const aws = bigger.spec.provider.config.aws!;
  aws.workerInstanceType = "m5.2xlarge";
  const changed = generateCapiObjects(bigger, testBootstrap());
  assert.notEqual(changed.workerTemplate.metadata.name, base.workerTemplate.metadata.name);
  assert.equal(changed.controlPlaneTemplate.metadata.name, base.controlPlaneTemplate.metadata.name);
  assert.equal(
    at(changed.machineDeployment, "spec.template.spec.infrastructureRef.name"),
    changed.workerTemplate.metadata.name,
  );
  assert.match(changed.workerTemplate.metadata.name, /^aws-1-md-0-[0-9a-f]{10}$/);
});

Deno.test("contentHash ignores key order", () => {
  assert.equal(
    contentHash({ a: 1, b: [1, { c: 2, d: 3 }] }),
    contentHash({ b: [1, { d: 3, c: 2 }], a: 1 }),
  );
  assert.notEqual(contentHash({ a: 1 }), contentHash({ a: 2 }));
});

Deno.test("shellQuote survives single quotes", () => {
  assert.equal(shellQuote("a'b"), `'a'"'"'b'`);
});

Deno.test("a custom binary URL is quoted as given", () => {
  const m = generateCapiObjects(providerCluster("docker"), {
    ...testBootstrap(),
    binaryUrl: "https://mirror.example.com/lattice",
    tokenSecretKey: "value",
  });
  const text = JSON.stringify(m.controlPlane);
  assert.ok(
    text.includes(`--output /usr/local/bin/lattice.download 'https://mirror.example.com/lattice'`),
  );
  assert.ok(text.includes(`"key":"value"`));
});

Deno.test("minimal configs of every provider generate", () => {
  for (const provider of PROVIDERS) {
    assert.ok(minimalConfig(provider)[provider]);
    const m = generateCapiObjects(providerCluster(provider, { minimal: true }), testBootstrap());
    assert.equal(m.objects.length, 8);
  }
});
