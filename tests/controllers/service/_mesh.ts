/**
 * Test helpers of the mesh: LatticeService documents, a seeded random mesh, and the
 * test's own statement of the bilateral rule (the oracle), written from the spec, not
 * from lib/controllers/service/agreement.ts.
 */
import type { LatticeServiceInput, ResourceEntry } from "../../../lib/api/mod.ts";
import type { KubeObject } from "../../../lib/kube/mod.ts";
import type { Pod } from "./_evaluator.ts";

/** A port of a test service. */
export interface TestPort {
  port: number;
  targetPort?: number;
  protocol?: "TCP" | "UDP";
}

/** A LatticeService document. */
export function serviceDoc(
  namespace: string,
  name: string,
  options: {
    ports?: Record<string, TestPort>;
    resources?: Record<string, Partial<ResourceEntry> & { type?: string }>;
    image?: string;
  } = {},
): LatticeServiceInput & { metadata: { namespace: string } } {
  const resources = Object.fromEntries(
    Object.entries(options.resources ?? {}).map(([k, e]) => [k, { type: "service", ...e }]),
  );
  return {
    apiVersion: "lattice.dev/v1alpha1",
    kind: "LatticeService",
    metadata: { name, namespace },
    spec: {
      containers: { main: { image: options.image ?? "nginx:alpine" } },
      ...(options.ports ? { service: { ports: options.ports } } : {}),
      ...(Object.keys(resources).length ? { resources } : {}),
    } as LatticeServiceInput["spec"],
  };
}

/** The pod a generated Deployment would run (labels and ServiceAccount of its template). */
export function podOf(deployment: KubeObject): Pod {
  const template = (deployment.spec as {
    template: {
      metadata: { labels: Record<string, string> };
      spec: { serviceAccountName: string };
    };
  }).template;
  return {
    namespace: deployment.metadata?.namespace ?? "default",
    labels: template.metadata.labels,
    serviceAccount: template.spec.serviceAccountName,
  };
}

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random mesh: services and the namespace → environment map. */
export interface RandomMesh {
  services: ReturnType<typeof serviceDoc>[];
  environments: Map<string, string>;
}

const NAMESPACES = ["prod-a", "prod-b", "stage-a", "tools"];
const ENVIRONMENTS = new Map([["prod-a", "prod"], ["prod-b", "prod"], ["stage-a", "staging"]]);

type Entry = Partial<ResourceEntry> & { type?: string };

/** A seeded random mesh of `count` services over four namespaces and two environments. */
export function randomMesh(seed: number, count: number): RandomMesh {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const specs = Array.from({ length: count }, (_, i) => {
    const ports: Record<string, TestPort> = {};
    const n = 1 + Math.floor(r() * 3);
    for (let j = 0; j < n; j++) {
      ports[`p${j}`] = {
        port: 8000 + j,
        ...(r() < 0.3 ? { targetPort: 9000 + j } : {}),
        ...(r() < 0.15 ? { protocol: "UDP" as const } : {}),
      };
    }
    return {
      name: `s${i}`,
      namespace: pick(NAMESPACES),
      ports,
      resources: {} as Record<string, Entry>,
    };
  });
  const keyOf = (own: { namespace: string }, peer: { namespace: string; name: string }) =>
    own.namespace === peer.namespace ? peer.name : `${peer.name}-${peer.namespace}`;
  const declare = (
    own: (typeof specs)[number],
    peer: { namespace: string; name: string },
    dir: "inbound" | "outbound",
  ) => {
    const key = keyOf(own, peer);
    const prev = own.resources[key];
    const direction = prev && prev.direction !== dir ? "both" : dir;
    own.resources[key] = {
      direction,
      ...(own.namespace === peer.namespace ? {} : { name: peer.name, namespace: peer.namespace }),
    };
  };
  for (const c of specs) {
    for (const s of specs) {
      if (c === s) continue;
      const x = r();
      if (x < 0.16) {
        declare(c, s, "outbound");
        declare(s, c, "inbound");
      } else if (x < 0.22) declare(c, s, "outbound");
      else if (x < 0.28) declare(s, c, "inbound");
    }
    if (r() < 0.1) declare(c, { namespace: c.namespace, name: "ghost" }, "outbound");
  }
  const byId = new Map(specs.map((s) => [`${s.namespace}/${s.name}`, s]));
  for (const own of specs) {
    for (const [key, entry] of Object.entries(own.resources)) {
      const peerNs = entry.namespace ?? own.namespace;
      const peer = byId.get(`${peerNs}/${entry.name ?? key}`);
      if (!peer) continue;
      const callee = entry.direction === "inbound"
        ? own
        : entry.direction === "outbound"
        ? peer
        : undefined;
      if (callee && r() < 0.3) {
        const names = Object.keys(callee.ports).filter(() => r() < 0.6);
        if (names.length > 0) entry.ports = names;
      }
      const [a, b] = [ENVIRONMENTS.get(own.namespace), ENVIRONMENTS.get(peerNs)];
      if (a && b && a !== b && r() < 0.6) entry.environment = b;
    }
  }
  return {
    services: specs.map((s) => serviceDoc(s.namespace, s.name, s)),
    environments: new Map(ENVIRONMENTS),
  };
}

type Doc = ReturnType<typeof serviceDoc>;

function entryFor(own: Doc, peer: Doc, dirs: string[]): ResourceEntry | undefined {
  for (const [key, e] of Object.entries(own.spec.resources ?? {})) {
    if (e.type !== "service") continue;
    const ns = e.namespace ?? own.metadata.namespace;
    const name = e.name ?? key;
    if (
      ns === peer.metadata.namespace && name === peer.metadata.name &&
      dirs.includes(e.direction ?? "")
    ) {
      return e as ResourceEntry;
    }
  }
  return undefined;
}

/**
 * The spec's rule: `caller` may reach port `portName` of `callee` iff the caller declares
 * outbound (or both) to the callee, the callee inbound (or both) from the caller, neither
 * side's `ports` excludes the port, and, across environments, each side names the other's.
 */
export function oracle(
  caller: Doc,
  callee: Doc,
  portName: string | undefined,
  environments: ReadonlyMap<string, string>,
): boolean {
  if (caller === callee || portName === undefined) return false;
  const out = entryFor(caller, callee, ["outbound", "both"]);
  const inb = entryFor(callee, caller, ["inbound", "both"]);
  if (!out || !inb) return false;
  const ce = environments.get(caller.metadata.namespace);
  const se = environments.get(callee.metadata.namespace);
  if (ce && se && ce !== se && (out.environment !== se || inb.environment !== ce)) return false;
  return (!out.ports || out.ports.includes(portName)) &&
    (!inb.ports || inb.ports.includes(portName));
}
