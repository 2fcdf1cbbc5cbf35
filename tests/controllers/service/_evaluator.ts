/**
 * An independent evaluator of Cilium and Istio policies, written from their documented
 * semantics (not from Lattice's generator), to decide whether a connection from one pod to
 * another on a port is allowed. Anything the generator is not expected to use (deny rules,
 * entities, CIDRs, L7 matches, conditions) makes it throw rather than guess.
 *
 * Cilium (docs.cilium.io, "Policy Enforcement Modes", "Layer 3/4 policies"):
 * - an endpoint's identity labels are its pod labels with source `k8s:`, plus
 *   `k8s:io.kubernetes.pod.namespace` and `k8s:io.cilium.k8s.policy.serviceaccount`;
 *   a selector key without a source prefix matches the label from any source;
 * - a CiliumNetworkPolicy selects endpoints of its own namespace only, and its
 *   `fromEndpoints` selectors without a namespace label are limited to that namespace; a
 *   CiliumClusterwideNetworkPolicy selects across namespaces;
 * - an endpoint selected by a rule with an ingress section is in ingress default deny
 *   (`enableDefaultDeny.ingress` defaults to true when ingress rules exist, false turns it
 *   off); then a connection passes only if some ingress rule of a selecting policy allows
 *   the peer (L3) and the port (L4, all ports when `toPorts` is absent); an empty rule
 *   allows nothing. An endpoint no ingress rule selects accepts everything.
 *
 * Istio (istio.io, AuthorizationPolicy reference):
 * - a policy in the root namespace applies to every workload (its selector, if any, picks
 *   workloads in any namespace); elsewhere to workloads of its namespace (selector narrows);
 * - DENY policies first; then if no ALLOW policy applies the request is allowed; else it is
 *   allowed only when some ALLOW policy has a rule matching it. A policy without rules
 *   (`spec: {}`) matches nothing; an empty rule matches everything; a rule matches when one
 *   of its `from` sources and one of its `to` operations match (absent = any); fields of a
 *   source are ANDed and a field's values ORed; `*`, `prefix*` and `*suffix` are wildcards.
 */
import type { KubeObject } from "../../../lib/kube/mod.ts";

/** A pod as the policies see it. */
export interface Pod {
  namespace: string;
  labels: Record<string, string>;
  serviceAccount: string;
}

type Selector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
};

const NS_KEY = "io.kubernetes.pod.namespace";
const SA_KEY = "io.cilium.k8s.policy.serviceaccount";

function ciliumLabels(pod: Pod): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(pod.labels)) out.set(`k8s:${k}`, v);
  out.set(`k8s:${NS_KEY}`, pod.namespace);
  out.set(`k8s:${SA_KEY}`, pod.serviceAccount);
  return out;
}

/** The value of selector key `key` among `labels` (source prefix optional). */
function lookup(labels: Map<string, string>, key: string): string | undefined {
  if (/^(k8s|any):/.test(key)) {
    const bare = key.replace(/^(k8s|any):/, "");
    return key.startsWith("any:") ? lookup(labels, bare) : labels.get(key);
  }
  for (const [k, v] of labels) if (k.slice(k.indexOf(":") + 1) === key) return v;
  return undefined;
}

function selectorMatches(sel: Selector, labels: Map<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (lookup(labels, k) !== v) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const v = lookup(labels, e.key);
    const ok = e.operator === "In"
      ? v !== undefined && (e.values ?? []).includes(v)
      : e.operator === "NotIn"
      ? v === undefined || !(e.values ?? []).includes(v)
      : e.operator === "Exists"
      ? v !== undefined
      : e.operator === "DoesNotExist"
      ? v === undefined
      : fail(`selector operator ${e.operator}`);
    if (!ok) return false;
  }
  return true;
}

function fail(what: string): never {
  throw new Error(`evaluator: unsupported ${what}`);
}

function namesNamespace(sel: Selector): boolean {
  const keys = [
    ...Object.keys(sel.matchLabels ?? {}),
    ...(sel.matchExpressions ?? []).map((e) => e.key),
  ];
  return keys.some((k) => k.replace(/^(k8s|any):/, "") === NS_KEY);
}

type CiliumRule = {
  fromEndpoints?: Selector[];
  toPorts?: { ports?: { port: string; protocol?: string }[]; rules?: unknown }[];
  [key: string]: unknown;
};

function ruleAllows(
  rule: CiliumRule,
  policyNs: string | undefined,
  src: Pod,
  port: number,
  protocol: string,
): boolean {
  for (const key of Object.keys(rule)) {
    if (key !== "fromEndpoints" && key !== "toPorts") fail(`ingress rule field ${key}`);
  }
  const labels = ciliumLabels(src);
  let l3: boolean;
  if (rule.fromEndpoints) {
    l3 = rule.fromEndpoints.some((sel) =>
      selectorMatches(sel, labels) &&
      (policyNs === undefined || namesNamespace(sel) || src.namespace === policyNs)
    );
  } else {
    // No L3 part: a rule with only toPorts allows every peer on those ports; an empty rule
    // allows nothing.
    l3 = rule.toPorts !== undefined;
  }
  if (!l3) return false;
  if (!rule.toPorts) return true;
  return rule.toPorts.some((tp) => {
    if (tp.rules) fail("L7 rules in toPorts");
    return (tp.ports ?? []).some((p) =>
      Number(p.port) === port && (!p.protocol || p.protocol === "ANY" || p.protocol === protocol)
    );
  });
}

/** Whether Cilium lets `src` reach `dst` on `port`. */
export function ciliumAllows(
  policies: readonly KubeObject[],
  src: Pod,
  dst: Pod,
  port: number,
  protocol = "TCP",
): boolean {
  const dstLabels = ciliumLabels(dst);
  let enforced = false;
  let allowed = false;
  for (const p of policies) {
    const spec = p.spec as {
      endpointSelector?: Selector;
      ingress?: CiliumRule[];
      ingressDeny?: unknown;
      enableDefaultDeny?: { ingress?: boolean };
    };
    if (p.kind !== "CiliumNetworkPolicy" && p.kind !== "CiliumClusterwideNetworkPolicy") continue;
    const policyNs = p.kind === "CiliumNetworkPolicy"
      ? p.metadata?.namespace ?? "default"
      : undefined;
    if (policyNs !== undefined && policyNs !== dst.namespace) continue;
    if (!spec.endpointSelector || !selectorMatches(spec.endpointSelector, dstLabels)) continue;
    if (spec.ingressDeny) fail("ingressDeny");
    const hasRules = (spec.ingress ?? []).length > 0;
    const defaultDeny = spec.enableDefaultDeny?.ingress ?? hasRules;
    if (defaultDeny) enforced = true;
    for (const rule of spec.ingress ?? []) {
      if (ruleAllows(rule, policyNs, src, port, protocol)) allowed = true;
    }
  }
  return !enforced || allowed;
}

function wildcard(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

type Source = { principals?: string[]; namespaces?: string[]; [key: string]: unknown };
type Operation = { ports?: string[]; [key: string]: unknown };
type IstioRule = {
  from?: { source: Source }[];
  to?: { operation: Operation }[];
  when?: unknown;
};

function sourceMatches(s: Source, principal: string, namespace: string): boolean {
  for (const key of Object.keys(s)) {
    if (key !== "principals" && key !== "namespaces") fail(`source field ${key}`);
  }
  if (s.principals && !s.principals.some((p) => wildcard(p, principal))) return false;
  if (s.namespaces && !s.namespaces.some((n) => wildcard(n, namespace))) return false;
  return true;
}

function operationMatches(o: Operation, port: number): boolean {
  for (const key of Object.keys(o)) if (key !== "ports") fail(`operation field ${key}`);
  return !o.ports || o.ports.includes(String(port));
}

function istioRuleMatches(rule: IstioRule, src: Pod, port: number): boolean {
  if (rule.when) fail("when conditions");
  const principal = `cluster.local/ns/${src.namespace}/sa/${src.serviceAccount}`;
  const from = !rule.from ||
    rule.from.some((f) => sourceMatches(f.source, principal, src.namespace));
  const to = !rule.to || rule.to.some((t) => operationMatches(t.operation, port));
  return from && to;
}

/** Whether Istio lets `src` reach `dst` on `port` (root namespace `istio-system`). */
export function istioAllows(
  policies: readonly KubeObject[],
  src: Pod,
  dst: Pod,
  port: number,
  rootNamespace = "istio-system",
): boolean {
  const dstLabels = new Map(Object.entries(dst.labels).map(([k, v]) => [`k8s:${k}`, v]));
  let allowPolicies = 0;
  let allowed = false;
  for (const p of policies) {
    if (p.kind !== "AuthorizationPolicy") continue;
    const ns = p.metadata?.namespace;
    if (ns !== rootNamespace && ns !== dst.namespace) continue;
    const spec = p.spec as {
      selector?: { matchLabels?: Record<string, string> };
      action?: string;
      rules?: IstioRule[];
    };
    if (spec.selector && !selectorMatches(spec.selector, dstLabels)) continue;
    const action = spec.action ?? "ALLOW";
    const matches = (spec.rules ?? []).some((r) => istioRuleMatches(r, src, port));
    if (action === "DENY") {
      if (matches) return false;
      continue;
    }
    if (action !== "ALLOW") fail(`action ${action}`);
    allowPolicies++;
    if (matches) allowed = true;
  }
  return allowPolicies === 0 || allowed;
}

/** Whether both Cilium (L4) and Istio (L7) let `src` reach `dst` on `port`. */
export function allows(
  policies: readonly KubeObject[],
  src: Pod,
  dst: Pod,
  port: number,
  protocol = "TCP",
): boolean {
  return ciliumAllows(policies, src, dst, port, protocol) && istioAllows(policies, src, dst, port);
}
