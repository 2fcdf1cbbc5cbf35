/**
 * Default deny, as pure functions of the cluster's namespaces:
 *
 * - a CiliumClusterwideNetworkPolicy selecting every endpoint outside the excluded
 *   namespaces, with an ingress section whose one rule allows nothing (Cilium puts every
 *   selected endpoint into ingress default-deny; egress stays open);
 * - an Istio AuthorizationPolicy with an empty spec in the mesh root namespace (an ALLOW
 *   policy matching nothing applies to every workload, so only requests some other ALLOW
 *   policy matches get through);
 * - in each excluded namespace, an Istio ALLOW policy with one empty rule (matches every
 *   request) so system workloads keep working: Istio has no namespace exclusion of its own.
 *
 * `capi-*` namespaces cannot be matched by prefix in a label selector, so the ones that
 * exist are listed by name; the controller re-applies when namespaces come and go.
 */
import type { KubeObject } from "../../kube/mod.ts";
import {
  CILIUM_NAMESPACE_KEY,
  EXCLUDED_NAMESPACES,
  isExcludedNamespace,
  MANAGED_BY_LABEL,
  MESH_MANAGER,
  MESH_ROOT_NAMESPACE,
} from "./names.ts";

/** Name of the default-deny policies. */
export const DEFAULT_DENY_NAME = "lattice-default-deny";
/** Name of the allow-all policy in each excluded namespace. */
export const SYSTEM_ALLOW_NAME = "lattice-system-namespace-allow";

const labels = { [MANAGED_BY_LABEL]: MESH_MANAGER };

/** Every excluded namespace: the fixed ones plus the `capi-*` ones among `namespaces`. */
export function excludedNamespaces(namespaces: Iterable<string>): string[] {
  const capi = [...namespaces].filter((ns) => ns.startsWith("capi-") && isExcludedNamespace(ns));
  return [...new Set([...EXCLUDED_NAMESPACES, ...capi.sort()])];
}

/** The cluster-wide Cilium default deny. */
export function ciliumDefaultDeny(excluded: readonly string[]): KubeObject {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumClusterwideNetworkPolicy",
    metadata: { name: DEFAULT_DENY_NAME, labels },
    spec: {
      description: "Lattice mesh default deny: ingress to every endpoint outside the " +
        "system namespaces is dropped unless a pair policy allows it",
      endpointSelector: {
        matchExpressions: [{ key: CILIUM_NAMESPACE_KEY, operator: "NotIn", values: excluded }],
      },
      enableDefaultDeny: { ingress: true, egress: false },
      ingress: [{}],
    },
  };
}

/** The mesh-wide Istio default deny (empty spec in the root namespace). */
export function istioDefaultDeny(): KubeObject {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: DEFAULT_DENY_NAME, namespace: MESH_ROOT_NAMESPACE, labels },
    spec: {},
  };
}

/** The allow-all Istio policy of one excluded namespace (none for the root itself). */
export function istioSystemAllow(namespace: string): KubeObject {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: SYSTEM_ALLOW_NAME, namespace, labels },
    spec: { action: "ALLOW", rules: [{}] },
  };
}

/**
 * Every default-deny object for a cluster whose namespaces are `namespaces`. Allow-all
 * policies are only made for excluded namespaces that exist (a policy needs its namespace).
 * The mesh root gets none: a policy there applies mesh-wide and would undo the deny, so
 * gateways in istio-system need their own ALLOW policies (docs/mesh.md).
 */
export function defaultDenyObjects(namespaces: Iterable<string>): KubeObject[] {
  const all = new Set(namespaces);
  const excluded = excludedNamespaces(all);
  return [
    ciliumDefaultDeny(excluded),
    istioDefaultDeny(),
    ...excluded.filter((ns) => all.has(ns) && ns !== MESH_ROOT_NAMESPACE).map(istioSystemAllow),
  ];
}
