/**
 * The bilateral agreement, as pure functions: which pairs (caller → callee) both sides
 * declare, on which ports, and what is missing for the one-sided ones. The controller, the
 * CLI's `lattice validate` and the tests all use this one definition.
 */
import type { DependencyStatus, LatticeServiceSpec, ResourceEntry } from "../../api/mod.ts";

/** A service as the agreement sees it. */
export interface MeshService {
  namespace: string;
  name: string;
  spec: Pick<LatticeServiceSpec, "resources" | "service">;
}

/** What the agreement looks services and environments up in. */
export interface MeshIndex {
  get(namespace: string, name: string): MeshService | undefined;
  /** The LatticeEnvironment a namespace belongs to, if any. */
  environmentOf(namespace: string): string | undefined;
  /** Whether a namespace exists; undefined when unknown (the CLI has no cluster). */
  namespaceExists?(namespace: string): boolean | undefined;
}

/** A port of an agreed pair (the callee's container port). */
export interface PairPort {
  name: string;
  port: number;
  protocol: "TCP" | "UDP" | "SCTP";
}

/** An agreed pair: `caller` may reach `callee` on `ports`. */
export interface Pair {
  callerNamespace: string;
  caller: string;
  calleeNamespace: string;
  callee: string;
  ports: PairPort[];
}

/** One service's view of the mesh. */
export interface Agreements {
  /** Agreed pairs where this service is the callee (its policies). */
  inbound: Pair[];
  /** Agreed pairs where this service is the caller. */
  outbound: Pair[];
  /** For status: agreed dependencies. */
  agreed: DependencyStatus[];
  /** For status: declared here, not agreed, with what is missing. */
  pending: DependencyStatus[];
}

/** A `service` entry with its peer resolved. */
export interface ServiceRef {
  key: string;
  namespace: string;
  name: string;
  entry: ResourceEntry;
}

/** The `service` entries of `svc`, peers resolved (name defaults to key, ns to svc's). */
export function serviceRefs(svc: MeshService): ServiceRef[] {
  const out: ServiceRef[] = [];
  for (const [key, entry] of Object.entries(svc.spec.resources ?? {})) {
    if (entry.type !== "service" || !entry.direction) continue;
    out.push({ key, namespace: entry.namespace ?? svc.namespace, name: entry.name ?? key, entry });
  }
  return out;
}

const calls = (e: ResourceEntry) => e.direction === "outbound" || e.direction === "both";
const allows = (e: ResourceEntry) => e.direction === "inbound" || e.direction === "both";

/** The entry of `peer` that names `target` with a direction `ok` accepts. */
function entryFor(
  peer: MeshService,
  target: { namespace: string; name: string },
  ok: (e: ResourceEntry) => boolean,
): ServiceRef | undefined {
  return serviceRefs(peer).find((r) =>
    r.namespace === target.namespace && r.name === target.name && ok(r.entry)
  );
}

const id = (ns: string, name: string) => `${ns}/${name}`;

function declaration(key: string, direction: string, peerNs: string, ownNs: string): string {
  const ns = peerNs === ownNs ? "" : `, namespace: ${peerNs}`;
  return `resources.${key}: {type: service, direction: ${direction}${ns}}`;
}

/** Why a pair cannot be agreed, or its ports. */
type PairOutcome = { ok: true; ports: PairPort[] } | { ok: false; missing: string };

function portsOf(
  callee: MeshService,
  callerRef: ServiceRef,
  calleeRef: ServiceRef,
): PairOutcome {
  const declared = Object.entries(callee.spec.service?.ports ?? {});
  if (declared.length === 0) {
    return { ok: false, missing: `${id(callee.namespace, callee.name)} exposes no service.ports` };
  }
  const wanted = callerRef.entry.ports;
  const unknown = (wanted ?? []).filter((p) => !declared.some(([n]) => n === p));
  if (unknown.length > 0) {
    return {
      ok: false,
      missing: `resources.${callerRef.key}.ports names ${unknown.join(", ")}, which ` +
        `${id(callee.namespace, callee.name)} does not expose`,
    };
  }
  const ports = declared
    .filter(([n]) => (wanted ?? [n]).includes(n) && (calleeRef.entry.ports ?? [n]).includes(n))
    .map(([name, p]) => ({ name, port: p.targetPort ?? p.port, protocol: p.protocol ?? "TCP" }))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (ports.length === 0) {
    return { ok: false, missing: "the two sides' ports have no port in common" };
  }
  return { ok: true, ports };
}

function environmentsAgree(
  index: MeshIndex,
  callerRef: ServiceRef,
  calleeRef: ServiceRef,
): string | undefined {
  const callerEnv = index.environmentOf(calleeRef.namespace);
  const calleeEnv = index.environmentOf(callerRef.namespace);
  if (!callerEnv || !calleeEnv || callerEnv === calleeEnv) return undefined;
  const problems: string[] = [];
  if (callerRef.entry.environment !== calleeEnv) {
    problems.push(`resources.${callerRef.key}.environment: ${calleeEnv} on the caller`);
  }
  if (calleeRef.entry.environment !== callerEnv) {
    problems.push(`resources.${calleeRef.key}.environment: ${callerEnv} on the callee`);
  }
  if (problems.length === 0) return undefined;
  return `crossing environments (${callerEnv} → ${calleeEnv}) needs ${problems.join(" and ")}`;
}

/**
 * Evaluates one direction of one of `svc`'s declarations: `ref` names the peer, `svcCalls`
 * says whether svc is the caller.
 */
function evaluate(
  svc: MeshService,
  ref: ServiceRef,
  svcCalls: boolean,
  index: MeshIndex,
): { pair: Pair } | { missing: string } {
  const peer = index.get(ref.namespace, ref.name);
  if (ref.namespace === svc.namespace && ref.name === svc.name) {
    return { missing: "a service cannot declare itself" };
  }
  if (!peer && index.namespaceExists?.(ref.namespace) === false) {
    return {
      missing: `namespace ${ref.namespace} does not exist, so neither does LatticeService ` +
        id(ref.namespace, ref.name),
    };
  }
  if (!peer) return { missing: `LatticeService ${id(ref.namespace, ref.name)} does not exist` };
  const self = { namespace: svc.namespace, name: svc.name };
  const peerRef = entryFor(peer, self, svcCalls ? allows : calls);
  if (!peerRef) {
    const dir = svcCalls ? "inbound" : "outbound";
    return {
      missing: `${id(peer.namespace, peer.name)} must declare ` +
        declaration(svc.name, dir, svc.namespace, peer.namespace),
    };
  }
  const [caller, callee] = svcCalls ? [svc, peer] : [peer, svc];
  const [callerRef, calleeRef] = svcCalls ? [ref, peerRef] : [peerRef, ref];
  const env = environmentsAgree(index, callerRef, calleeRef);
  if (env) return { missing: env };
  const ports = portsOf(callee, callerRef, calleeRef);
  if (!ports.ok) return { missing: ports.missing };
  return {
    pair: {
      callerNamespace: caller.namespace,
      caller: caller.name,
      calleeNamespace: callee.namespace,
      callee: callee.name,
      ports: ports.ports,
    },
  };
}

/** Every agreement and pending declaration of `svc`. */
export function agreementsOf(svc: MeshService, index: MeshIndex): Agreements {
  const out: Agreements = { inbound: [], outbound: [], agreed: [], pending: [] };
  const seen = new Set<string>();
  for (const ref of serviceRefs(svc)) {
    for (const svcCalls of [true, false]) {
      if (!(svcCalls ? calls : allows)(ref.entry)) continue;
      const direction = svcCalls ? "outbound" : "inbound";
      const service = id(ref.namespace, ref.name);
      // Two entries naming the same peer in the same direction make one dependency.
      if (seen.has(`${direction} ${service}`)) continue;
      seen.add(`${direction} ${service}`);
      const result = evaluate(svc, ref, svcCalls, index);
      if ("missing" in result) {
        out.pending.push({ service, direction, missing: result.missing });
        continue;
      }
      (svcCalls ? out.outbound : out.inbound).push(result.pair);
      out.agreed.push({ service, direction, ports: result.pair.ports.map((p) => p.port) });
    }
  }
  return out;
}

/** Every agreed pair of a whole set of services (each pair once, from its callee). */
export function allPairs(services: Iterable<MeshService>, index: MeshIndex): Pair[] {
  const pairs: Pair[] = [];
  for (const svc of services) pairs.push(...agreementsOf(svc, index).inbound);
  return pairs;
}

/** A MeshIndex over a list of services and a namespace → environment map. */
export function meshIndex(
  services: Iterable<MeshService>,
  environments: ReadonlyMap<string, string> = new Map(),
): MeshIndex {
  const byId = new Map<string, MeshService>();
  for (const s of services) byId.set(id(s.namespace, s.name), s);
  return {
    get: (ns, name) => byId.get(id(ns, name)),
    environmentOf: (ns) => environments.get(ns),
  };
}
