/**
 * Seeded generator of LatticeCluster specs for the validation agreement test: a valid
 * child of the cell `root`, then a few fields replaced by values drawn from tables of
 * valid and invalid choices (including random IPv4/IPv6 CIDRs, some malformed). Same seed,
 * same specs.
 */
import type { LatticeClusterInput } from "../../lib/api/mod.ts";

/** A deterministic PRNG (mulberry32): numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

/** A random IPv4 CIDR, sometimes malformed. */
function ipv4Cidr(r: Rand): string {
  const first = pick(r, [10, 172, 192, 100, 300]);
  const prefix = pick(r, [8, 12, 16, 20, 24, 28, 32, 33]);
  return `${first}.${int(r, 256)}.${int(r, 4) * 64}.0/${prefix}`;
}

/** A random IPv6 CIDR in hexadecimal form (compressed or not), sometimes malformed. */
function ipv6Cidr(r: Rand): string {
  const groups = Array.from(
    { length: 8 },
    () => int(r, 4) === 0 ? "0" : int(r, 65536).toString(16),
  );
  groups[0] = pick(r, ["fd00", "fd01", "2001", "fe80"]);
  let text = groups.join(":");
  if (r() < 0.6) {
    const from = 1 + int(r, 6);
    const len = 1 + int(r, 7 - from);
    text = `${groups.slice(0, from).join(":")}::${groups.slice(from + len).join(":")}`;
  }
  const flaw = int(r, 10);
  if (flaw === 0) text = text.replace("::", ":::") + (text.includes("::") ? "" : "::");
  if (flaw === 1) text = `${text}:1`;
  if (flaw === 2) text = text.replace(/^[0-9a-f]+/, "12345");
  const prefix = pick(r, [48, 56, 64, 96, 108, 112, 120, 128, 129]);
  return `${text}/${prefix}`;
}

const cidr = (r: Rand) => r() < 0.5 ? ipv4Cidr(r) : ipv6Cidr(r);

type Spec = LatticeClusterInput["spec"];
type Mutator = (spec: Spec, r: Rand, name: string) => void;

/** Field tables: each entry replaces one part of the spec with a valid or invalid value. */
const MUTATORS: Mutator[] = [
  (s, r) => (s.nodes.controlPlane = pick(r, [1, 2, 3, 4, 5, 0, 7, 15, 16])),
  (s, r) => (s.nodes.workers = pick(r, [0, 3, 100, -1, 5001])),
  (s, r) => (s.provider.kubernetes.version = pick(r, [
    "1.31.0",
    "1.29.0",
    "1.36.3",
    "v1.31.0",
    "1.20.0",
    "1.37.0",
    "1.31",
    "2.0.0",
    "1.32.1+rke2r1",
    "1.31.0-rc.1",
    "01.31.0",
  ])),
  (s, r) => (s.provider.kubernetes.bootstrap = pick(r, ["kubeadm", "rke2", "k3s"] as "kubeadm"[])),
  (s, r) => (s.provider.kubernetes.certSANs = pick(r, [
    ["api.example.com"],
    ["*.example.com", "10.0.0.1", "fd00::1"],
    [" "],
    ["https://api.example.com"],
    ["API.example.com"],
    [""],
    ["a..b"],
    ["::ffff:10.0.0.1"],
    [],
  ])),
  (s, r) => {
    const flux = pick(r, [
      { version: "2.3.0" },
      { version: "3.0.0" },
      { version: "v2.2.0" },
      { version: "1.9.0" },
      { interval: "5m" },
      { interval: "5 minutes" },
      { suspend: true },
    ]);
    s.flux = flux;
  },
  (s, r) => {
    const cell = pick(r, [
      { enabled: true, host: "cell.example.com" },
      { enabled: true },
      {},
      { enabled: false },
      { service: { type: "NodePort" } },
      { service: { type: "NodePort" }, ports: { https: 31443, grpc: 31051 } },
      { service: { type: "NodePort" }, ports: { https: 8443, grpc: 31051 } },
      { service: { type: "NodePort" }, ports: {} },
      { service: { type: "ClusterIP" }, host: "10.0.0.1" },
      { service: { type: "LoadBalancer" } },
      { enabled: false, service: { type: "NodePort" } },
    ] as NonNullable<Spec["cell"]>[]);
    s.cell = structuredClone(cell);
  },
  (s, r) => {
    const n: NonNullable<Spec["networking"]> = {};
    if (r() < 0.6) n.pods = pick(r, ["10.244.0.0/16", "10.128.0.0/16", "fd00:10::/56", cidr(r)]);
    if (r() < 0.6) {
      n.services = pick(r, ["10.96.0.0/12", "192.168.1.0/24", "fd00:10::/112", cidr(r)]);
    }
    if (r() < 0.7) {
      n.default = {
        cidr: pick(r, [
          "172.18.255.1/32",
          "192.168.5.0/24",
          "10.130.0.0/16",
          "fd00::/64",
          "fd00:::1/64",
          "::ffff:10.0.0.1/128",
          cidr(r),
        ]),
      };
    }
    s.networking = n;
  },
  (s, r, name) => {
    const ref = pick(r, ["root", "root", undefined, name, "nowhere", "Bad_Ref"]);
    if (ref === undefined) delete s.cellRef;
    else s.cellRef = ref;
  },
  (s, r) => {
    s.provider.config = pick(r, [
      { docker: {} },
      { aws: { region: "us-west-2" } },
      {},
      { docker: {}, gcp: { project: "p", region: "r" } },
    ]);
  },
  (s) => ((s.nodes as Record<string, unknown>).worker = 3),
];

/** A valid child of `root` named `name`. */
export function baseSpec(): Spec {
  return {
    provider: { kubernetes: { version: "1.31.0" }, config: { docker: {} } },
    nodes: { controlPlane: 1, workers: 2 },
    cellRef: "root",
  };
}

/** The `i`-th spec of a run: about one in five unchanged, the rest with 1-3 fields replaced. */
export function generateDocument(r: Rand, name: string): LatticeClusterInput {
  const spec = baseSpec();
  const changes = r() < 0.2 ? 0 : 1 + int(r, 3) - (r() < 0.5 ? 1 : 0);
  for (let k = 0; k < Math.max(0, changes); k++) pick(r, MUTATORS)(spec, r, name);
  return { apiVersion: "lattice.dev/v1alpha1", kind: "LatticeCluster", metadata: { name }, spec };
}
