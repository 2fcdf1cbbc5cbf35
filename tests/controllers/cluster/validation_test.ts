import assert from "node:assert/strict";
import { type ClusterObject, validateCluster } from "../../../lib/controllers/cluster/mod.ts";
import { providerCluster } from "../../capi/fixtures.ts";

function cluster(edit: (c: ClusterObject) => void = () => {}): ClusterObject {
  const c = providerCluster("docker", { name: "child", controlPlane: 3 }) as ClusterObject;
  edit(c);
  return c;
}

type Cell = NonNullable<ClusterObject["spec"]["cell"]>;
const cellSpec = (fields: Partial<Cell>): Cell => ({ enabled: true, ...fields });
const nodePortCell = (): Cell =>
  cellSpec({ service: { type: "NodePort" }, ports: { https: 31443, grpc: 31051 } });

const reasons = (c: ClusterObject, exists?: (n: string) => boolean) =>
  validateCluster(c, { cellName: "root", clusterExists: exists }).map((p) => p.reason);

Deno.test("a valid spec has no problems", () => {
  assert.deepEqual(reasons(cluster(), () => false), []);
});

Deno.test("table: semantic problems", () => {
  const table: [string, (c: ClusterObject) => void, string[], ((n: string) => boolean)?][] = [
    ["unknown cellRef", (c) => (c.spec.cellRef = "nowhere"), ["UnknownCellRef"], () => false],
    ["known other cellRef", (c) => (c.spec.cellRef = "eu"), [], (n) => n === "eu"],
    ["even control plane", (c) => (c.spec.nodes.controlPlane = 4), ["EvenControlPlaneCount"]],
    ["downgrade", (c) => {
      c.status = { kubernetesVersion: "1.31.2" };
      c.spec.provider.kubernetes.version = "1.31.1";
    }, ["VersionDowngrade"]],
    ["patch upgrade", (c) => {
      c.status = { kubernetesVersion: "1.31.0" };
      c.spec.provider.kubernetes.version = "1.31.5";
    }, []],
    ["minor upgrade", (c) => {
      c.status = { kubernetesVersion: "1.31.0" };
      c.spec.provider.kubernetes.version = "1.32.0";
    }, []],
    ["v-prefixed version (docs/adr/version-v-prefix.md)", (c) => {
      c.spec.provider.kubernetes.version = "v1.32.0";
    }, ["InvalidVersion"]],
    ["unsupported Kubernetes version", (c) => {
      c.spec.provider.kubernetes.version = "1.20.0";
    }, ["UnsupportedKubernetesVersion"]],
    ["Flux 3", (c) => (c.spec.flux = { version: "3.0.0" }), ["UnsupportedFluxVersion"]],
    ["cellRef naming the cluster itself", (c) => (c.spec.cellRef = "child"), ["SelfCellRef"]],
    ["disabled cell without host (a leaf)", (c) => {
      c.spec.cell = { enabled: false };
    }, []],
    ["overlapping networks", (c) => {
      c.spec.networking = { pods: "10.0.0.0/8", services: "10.96.0.0/12" };
    }, ["NetworkOverlap"]],
    ["minor skip", (c) => {
      c.status = { kubernetesVersion: "1.30.4" };
      c.spec.provider.kubernetes.version = "1.32.0";
    }, ["VersionSkew"]],
    ["provider change", (c) => (c.status = { provider: "aws" }), ["ProviderChanged"]],
    ["cell with host", (c) => (c.spec.cell = cellSpec({ host: "cell.example" })), []],
    ["cell without host", (c) => (c.spec.cell = cellSpec({})), ["MissingCellHost"]],
    ["a leaf written as cell: {enabled: false}", (c) => {
      c.spec.cell = { enabled: false };
    }, []],
    ["a disabled cell's endpoints are not checked", (c) => {
      c.spec.cell = { enabled: false, service: { type: "NodePort" } };
    }, []],
    ["cell with an IP host", (c) => (c.spec.cell = cellSpec({ host: "172.18.255.1" })), []],
    ["LoadBalancer cell without host", (c) => {
      c.spec.cell = cellSpec({ service: { type: "LoadBalancer" } });
    }, ["MissingCellHost"]],
    ["NodePort cell without host", (c) => (c.spec.cell = nodePortCell()), []],
    ["NodePort cell with host", (c) => {
      c.spec.cell = { ...nodePortCell(), host: "172.18.0.3" };
    }, []],
    ["NodePort at the range's ends", (c) => {
      c.spec.cell = { ...nodePortCell(), ports: { https: 30000, grpc: 32767 } };
    }, []],
    ["NodePort without ports", (c) => {
      c.spec.cell = { ...nodePortCell(), ports: undefined };
    }, ["InvalidNodePorts"]],
    ["NodePort with the default ports", (c) => {
      c.spec.cell = { ...nodePortCell(), ports: { https: 8443, grpc: 50051 } };
    }, ["InvalidNodePorts"]],
    ["NodePort grpc out of range", (c) => {
      c.spec.cell = { ...nodePortCell(), ports: { https: 31443, grpc: 32768 } };
    }, ["InvalidNodePorts"]],
    ["ClusterIP without host and NodePort-less ports", (c) => {
      c.spec.cell = cellSpec({ service: { type: "ClusterIP" }, ports: { https: 1, grpc: 2 } });
    }, ["MissingCellHost"]],
    [
      "two at once",
      (c) => {
        c.spec.nodes.controlPlane = 2;
        c.spec.cellRef = "nowhere";
      },
      ["EvenControlPlaneCount", "UnknownCellRef"],
      () => false,
    ],
  ];
  for (const [name, edit, want, exists] of table) {
    assert.deepEqual(reasons(cluster(edit), exists), want, name);
  }
});

Deno.test("messages say what to fix", () => {
  const [p] = validateCluster(cluster((c) => (c.spec.nodes.controlPlane = 4)));
  assert.equal(p.field, "spec.nodes.controlPlane");
  assert.match(p.message, /must be odd \(1, 3, 5, \.\.\.\)/);
  const [d] = validateCluster(cluster((c) => {
    c.status = { kubernetesVersion: "1.31.2" };
    c.spec.provider.kubernetes.version = "1.30.0";
  }));
  assert.match(d.message, /set it to 1\.31\.2 or newer/);
  const [h] = validateCluster(cluster((c) => (c.spec.cell = cellSpec({}))));
  assert.equal(h.field, "spec.cell.host");
  assert.match(h.message, /NodePort/);
  const [n] = validateCluster(cluster((c) => {
    c.spec.cell = { ...nodePortCell(), ports: { https: 31443, grpc: 50051 } };
  }));
  assert.equal(n.field, "spec.cell.ports");
  assert.match(n.message, /both https and grpc/);
  assert.match(n.message, /30000-32767/);
  assert.match(n.message, /nodePort equals the port/);
});

Deno.test("a cellRef loop is a problem, named with its members", () => {
  const refs: Record<string, string> = { a: "b", b: "child" };
  const [p] = validateCluster(cluster((c) => (c.spec.cellRef = "a")), {
    cellName: "root",
    clusterExists: (n) => n in refs,
    cellRefOf: (n) => refs[n],
  });
  assert.equal(p.reason, "CellRefLoop");
  assert.equal(p.field, "spec.cellRef");
  assert.match(p.message, /child → a → b → child/);
});

Deno.test("an orphan without cellRef is told which cell to name", () => {
  const orphan = cluster((c) => delete c.spec.cellRef);
  const problems = validateCluster(orphan, { cellName: "root", requireCellRef: true });
  assert.deepEqual(problems.map((p) => [p.reason, p.message]), [[
    "MissingCellRef",
    'is not set: set it to the parent cell\'s name ("root")',
  ]]);
});
