/**
 * charts/lattice with a real helm (v4.3.2, built from its Go module by
 * scripts/install_helm.sh): it lints, `helm template` with default values renders exactly
 * manifests/lattice.yaml's objects (CRDs in crds/), values change what they say, and it
 * installs on a real kube-apiserver.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { withControlPlane } from "./_plane.ts";

const root = new URL("../../", import.meta.url).pathname;
const chart = `${root}charts/lattice`;

async function helmPath(): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [`${root}scripts/install_helm.sh`],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success, "scripts/install_helm.sh failed");
  return new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
}

async function helm(args: string[], env: Record<string, string> = {}) {
  const home = await Deno.makeTempDir({ prefix: "lattice-helm-" });
  try {
    const out = await new Deno.Command(await helmPath(), {
      args,
      env: {
        HELM_CACHE_HOME: `${home}/cache`,
        HELM_CONFIG_HOME: `${home}/config`,
        HELM_DATA_HOME: `${home}/data`,
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

type Obj =
  & { kind: string; metadata: { name: string; namespace?: string } }
  & Record<
    string,
    unknown
  >;

function objects(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((o) => o && o.kind);
}

const manifests = () => objects(Deno.readTextFileSync(`${root}manifests/lattice.yaml`));

Deno.test("helm lint passes", async () => {
  const r = await helm(["lint", "--strict", chart]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /0 chart\(s\) failed/);
});

Deno.test("helm template with default values is manifests/lattice.yaml", async () => {
  const r = await helm(["template", "lattice", chart]);
  assert.equal(r.code, 0, r.stderr);
  const expected = manifests();
  // Helm orders objects by kind for install; the set of objects is the same.
  const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  const byKindName = (a: Obj, b: Obj) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  assert.deepEqual(
    objects(r.stdout).sort(byKindName),
    expected.filter((o) => o.kind !== "CustomResourceDefinition").sort(byKindName),
  );
  const crds = [...Deno.readDirSync(`${chart}/crds`)].map((e) =>
    objects(Deno.readTextFileSync(`${chart}/crds/${e.name}`))[0]
  ).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const expectedCrds = expected.filter((o) => o.kind === "CustomResourceDefinition")
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  assert.deepEqual(crds, expectedCrds);
});

Deno.test("values set the image, replicas, resources, the cell Service type and a ServiceMonitor", async () => {
  const r = await helm([
    "template",
    "lattice",
    chart,
    "--set",
    "image.repository=registry.example/lattice,image.tag=1.2.3,replicas=3",
    "--set",
    "resources.requests.cpu=250m,cell.service.type=LoadBalancer",
    "--set",
    "metrics.serviceMonitor.enabled=true,metrics.serviceMonitor.labels.release=prom",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const all = objects(r.stdout);
  const deployment = all.find((o) => o.kind === "Deployment") as unknown as {
    spec: {
      replicas: number;
      template: {
        spec: {
          containers: {
            image: string;
            env: { name: string; value?: string }[];
            resources: { requests: { cpu: string } };
          }[];
        };
      };
    };
  };
  const container = deployment.spec.template.spec.containers[0];
  assert.equal(deployment.spec.replicas, 3);
  assert.equal(container.image, "registry.example/lattice:1.2.3");
  assert.equal(
    container.env.find((e) => e.name === "LATTICE_IMAGE")?.value,
    "registry.example/lattice:1.2.3",
  );
  assert.equal(container.resources.requests.cpu, "250m");
  const service = all.find((o) => o.kind === "Service") as unknown as { spec: { type: string } };
  assert.equal(service.spec.type, "LoadBalancer");
  const monitor = all.find((o) => o.kind === "ServiceMonitor") as unknown as {
    metadata: { labels: Record<string, string> };
    spec: { endpoints: { port: string; path: string }[] };
  };
  assert.ok(monitor, "ServiceMonitor rendered");
  assert.equal(monitor.metadata.labels.release, "prom");
  assert.deepEqual(monitor.spec.endpoints.map((e) => [e.port, e.path]), [["metrics", "/metrics"]]);
  const servicePorts = (all.find((o) => o.kind === "Service") as unknown as {
    spec: { ports: { name: string }[] };
  }).spec.ports.map((p) => p.name);
  assert.ok(servicePorts.includes("metrics"), "the ServiceMonitor's port exists");
});

Deno.test("helm install puts the chart on a real kube-apiserver", async (t) => {
  await withControlPlane(t, async (plane) => {
    const r = await helm(
      ["install", "lattice", chart, "--namespace", "default", "--kubeconfig", plane.kubeconfigPath],
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /STATUS: deployed/);
    const status = await helm(
      ["status", "lattice", "--namespace", "default", "--kubeconfig", plane.kubeconfigPath],
    );
    assert.match(status.stdout, /STATUS: deployed/);
    const { kubectl } = await import("../../lib/sandbox/mod.ts");
    const deploy = await kubectl(plane, [
      "get",
      "deployment",
      "lattice-operator",
      "-n",
      "lattice-system",
      "-o",
      "jsonpath={.spec.replicas}",
    ]);
    assert.equal(deploy.stdout.trim(), "2");
    const crds = await kubectl(plane, ["get", "crd", "-o", "name"]);
    assert.match(crds.stdout, /latticeclusters\.lattice\.dev/);
    const upgrade = await helm([
      "upgrade",
      "lattice",
      chart,
      "--namespace",
      "default",
      "--kubeconfig",
      plane.kubeconfigPath,
      "--set",
      "replicas=3",
    ]);
    assert.equal(upgrade.code, 0, upgrade.stderr);
    const after = await kubectl(plane, [
      "get",
      "deployment",
      "lattice-operator",
      "-n",
      "lattice-system",
      "-o",
      "jsonpath={.spec.replicas}",
    ]);
    assert.equal(after.stdout.trim(), "3");
  });
});
