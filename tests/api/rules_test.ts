import assert from "node:assert/strict";
import {
  CELL_RULES,
  celString,
  cidrsOverlap,
  CLUSTER_DOCUMENT_RULES,
  clusterProblems,
  IPV6,
  latticeCrds,
  NETWORKING_RULES,
  ODD_CONTROL_PLANE,
  problemPath,
  SPEC_TRANSITION_RULES,
  transitionProblems,
} from "../../lib/api/mod.ts";
import { prng } from "../integration/_spec_gen.ts";

/** Reference IPv6 reader (hexadecimal form), written independently of the regex. */
function referenceIpv6(ip: string): boolean {
  const halves = ip.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

Deno.test("the IPv6 regex agrees with a reference reader on 20000 seeded strings", () => {
  const re = new RegExp(`^${IPV6}$`);
  const r = prng(6);
  const alphabet = "0123456789abcdefABCDEF:::::g";
  const mismatches: string[] = [];
  for (let i = 0; i < 20000; i++) {
    const len = 2 + Math.floor(r() * 40);
    let s = "";
    for (let k = 0; k < len; k++) s += alphabet[Math.floor(r() * alphabet.length)];
    if (re.test(s) !== referenceIpv6(s)) mismatches.push(s);
  }
  // Structured candidates: every compression of random 8-group addresses.
  for (let i = 0; i < 2000; i++) {
    const g = Array.from({ length: 8 }, () => Math.floor(r() * 65536).toString(16));
    const from = Math.floor(r() * 8);
    const to = from + Math.floor(r() * (9 - from));
    const s = `${g.slice(0, from).join(":")}::${g.slice(to).join(":")}`;
    if (re.test(s) !== referenceIpv6(s)) mismatches.push(s);
  }
  assert.deepEqual(mismatches, []);
});

Deno.test("CIDR overlap: nested, disjoint, across families, with host bits", () => {
  const table: [string, string, boolean][] = [
    ["10.0.0.0/8", "10.96.0.0/12", true],
    ["10.96.0.0/12", "10.0.0.0/8", true],
    ["10.0.0.0/16", "10.1.0.0/16", false],
    ["192.168.0.0/16", "192.168.255.1/32", true],
    ["10.128.0.0/12", "10.144.0.0/12", false],
    ["10.0.0.1/8", "10.200.0.0/16", true],
    ["fd00:10::/56", "fd00:10::/112", true],
    ["fd00:1::/64", "fd00:2::/64", false],
    ["::/0", "fd00::/8", true],
    ["10.0.0.0/8", "fd00::/8", false],
    ["0.0.0.0/0", "1.2.3.4/32", true],
    ["bad", "10.0.0.0/8", false],
  ];
  for (const [a, b, want] of table) assert.equal(cidrsOverlap(a, b), want, `${a} ${b}`);
});

Deno.test("every rule is emitted into the CRD with its own message and field", () => {
  const text = JSON.stringify(latticeCrds()[0]);
  const rules = [
    ODD_CONTROL_PLANE,
    ...CELL_RULES,
    ...NETWORKING_RULES,
    ...CLUSTER_DOCUMENT_RULES,
    ...SPEC_TRANSITION_RULES,
  ];
  for (const rule of rules) {
    assert.ok(text.includes(JSON.stringify(rule.cel)), `${rule.id}: CEL missing`);
    assert.ok(text.includes(JSON.stringify(rule.message)), `${rule.id}: message missing`);
    if (rule.field) {
      assert.ok(text.includes(JSON.stringify(rule.field.map((f) => `.${f}`).join(""))));
    }
  }
});

Deno.test("docs/validation.md lists every rule", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/validation.md", import.meta.url));
  const ids = [
    ODD_CONTROL_PLANE,
    ...CELL_RULES,
    ...NETWORKING_RULES,
    ...CLUSTER_DOCUMENT_RULES,
    ...SPEC_TRANSITION_RULES,
  ].map((r) => r.id).concat([
    "InvalidName",
    "InvalidVersion",
    "UnsupportedKubernetesVersion",
    "UnsupportedFluxVersion",
    "InvalidCertSAN",
    "InvalidCIDR",
    "InvalidDuration",
    "MissingCellRef",
    "UnknownCellRef",
    "CellRefLoop",
    "VersionDowngrade",
    "VersionSkew",
  ]);
  for (const id of ids) assert.ok(doc.includes(`\`${id}\``), id);
});

Deno.test("CEL string literals escape backslashes and quotes", () => {
  assert.equal(celString("^a\\.b'c$"), "'^a\\\\.b\\'c$'");
});

Deno.test("problem fields read back as paths", () => {
  assert.deepEqual(
    problemPath({ reason: "X", field: "spec.provider.kubernetes.certSANs[2]", message: "" }),
    ["spec", "provider", "kubernetes", "certSANs", 2],
  );
  assert.deepEqual(problemPath({ reason: "X", message: "" }), []);
});

Deno.test("transition rules: provider, bootstrap and networks are immutable", () => {
  const spec = {
    provider: { kubernetes: { version: "1.31.0" }, config: { docker: {} } },
    nodes: { controlPlane: 1, workers: 0 },
  };
  const edited = structuredClone(spec) as Record<string, unknown> & typeof spec;
  assert.deepEqual(transitionProblems(spec, edited), []);
  edited.nodes.workers = 3;
  assert.deepEqual(transitionProblems(spec, edited), []);
  edited.networking = { pods: "192.168.0.0/16" } as never;
  assert.deepEqual(transitionProblems(spec, edited), [], "the default, written out");
  edited.networking = { services: "10.96.0.0/12" } as never;
  assert.deepEqual(transitionProblems(spec, edited).map((p) => p.field), [
    "spec.networking.services",
  ]);
  // The provider is not a transition rule: it is fixed by status.provider (a document rule).
  const aws = { ...spec, provider: { ...spec.provider, config: { aws: { region: "x" } } } };
  assert.deepEqual(transitionProblems(spec, aws), []);
});

Deno.test("the provider is fixed once status.provider records it", () => {
  const doc = {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeCluster",
    metadata: { name: "a" },
    spec: {
      provider: { kubernetes: { version: "1.31.0" }, config: { docker: {} } },
      nodes: { controlPlane: 1, workers: 0 },
    },
  };
  assert.deepEqual(clusterProblems(doc), []);
  assert.deepEqual(clusterProblems({ ...doc, status: { provider: "docker" } }), []);
  const moved = clusterProblems({ ...doc, status: { provider: "aws" } });
  assert.deepEqual(moved.map((p) => [p.reason, p.field]), [[
    "ProviderChanged",
    "spec.provider.config",
  ]]);
  assert.deepEqual(clusterProblems(doc, { running: { provider: "aws" } }), moved);
});
